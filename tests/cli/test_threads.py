"""`zen storage threads` and `zen storage show ID` against a real redis-server."""

from __future__ import annotations

from zenconfig import ConversationStore, open_storage
from zenconfig import runtime as factory
from zenconfig.errors import ExitCode


def test_threads_and_show(zen, write_config, redis_server, unique_prefix) -> None:
    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}})
    conversations = ConversationStore(open_storage("p"))
    tid = conversations.create_thread("chat", {"prompt": "hello"})
    conversations.add_turn(tid, "user", "What is 2+2?")
    conversations.add_turn(tid, "assistant", "4", model_name="m1", model_provider="prov")
    factory.reset()
    r = zen("--project", "p", "storage", "threads", "--json")
    assert r.code == 0, r
    rows = r.json()
    assert [(t["thread_id"], t["tool_name"], t["turns"]) for t in rows] == [(tid, "chat", 2)]
    assert 10000 < rows[0]["ttl"] <= 10800
    table = zen("--project", "p", "storage", "threads")
    assert table.out.splitlines()[0].split() == [
        "THREAD",
        "TOOL",
        "TURNS",
        "UPDATED",
        "EXPIRES",
        "IN",
    ]
    assert tid in table.out and "3h" in table.out
    shown = zen("--project", "p", "storage", "show", tid, "--json").json()
    assert shown["initial_context"] == {"prompt": "hello"}
    assert [(t["role"], t["content"]) for t in shown["turns"]] == [
        ("user", "What is 2+2?"),
        ("assistant", "4"),
    ]
    assert shown["turns"][1]["model_name"] == "m1"
    text = zen("--project", "p", "storage", "show", tid).out
    assert "--- assistant [m1]" in text and "What is 2+2?" in text


def test_show_unknown_thread(zen, write_config, redis_server, unique_prefix) -> None:
    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p")
    r = zen("storage", "show", "nope")
    assert r.code == ExitCode.ERROR
    assert r.err.startswith("zen: error: no thread 'nope' in p")


def test_unreachable_with_fallback_error_is_exit_4(zen, write_config) -> None:
    from tests.servers import free_port

    write_config({"p": {"port": free_port()}}, default="p", fallback="error")
    r = zen("storage", "threads")
    assert r.code == ExitCode.STORAGE_UNREACHABLE
    assert "zen: error: Redis for project 'p' is unreachable" in r.err


def test_memory_store_listing(zen) -> None:
    r = zen("--memory", "storage", "threads")
    assert (r.code, r.out) == (0, "")
    assert "no threads in memory" in r.err


def test_storage_refuses_the_in_memory_fallback(zen, write_config) -> None:
    from tests.servers import free_port

    write_config({"p": {"port": free_port()}}, default="p")  # fallback: memory
    r = zen("storage", "threads")
    assert r.code == ExitCode.STORAGE_UNREACHABLE
    assert r.err.startswith("zen: error: Redis for project 'p' is unreachable: ")
    assert "using memory" not in r.err
    assert "hint: data commands never use the in-memory fallback" in r.err
