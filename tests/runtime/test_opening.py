"""open_storage against real redis-server processes: resolution, auth, ACL,
TLS, fallback, TTLs, isolation, concurrency."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import servers
from zenconfig import ConversationStore, open_storage, resolve
from zenconfig.errors import ExitCode, StorageUnavailableError, ZenConfigError
from zenconfig.storage.base import meta_key, turns_key


def test_open_storage_picks_what_current_shows(
    zen, write_config, redis_server: servers.Server, unique_prefix: str, monkeypatch
) -> None:
    write_config({"p1": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p1")
    store = open_storage()
    assert (store.name, store.degraded, store.prefix) == ("p1", False, unique_prefix)
    assert store.selection.source == "config"
    assert zen("config", "current").out.startswith("p1  (from storage.redis.default")
    monkeypatch.setenv("ZEN_STORAGE_TYPE", "memory")
    assert open_storage().name == "memory"


def test_unknown_project_lists_the_known(write_config, redis_server) -> None:
    write_config(
        {"alpha": {"port": redis_server.port}, "beta": {"port": redis_server.port, "db": 1}}
    )
    with pytest.raises(ZenConfigError) as info:
        open_storage("alpah")
    assert "unknown project 'alpah'" in str(info.value)
    assert info.value.hint == "did you mean 'alpha'? Known projects: alpha, beta"


def test_invalid_file_is_the_validate_error(zen, config_file: Path, write_config) -> None:
    write_config({"p1": {"port": 70000}}, default="p1")
    with pytest.raises(ZenConfigError) as info:
        open_storage()
    cli = zen("config", "validate")
    assert cli.code == ExitCode.INVALID_CONFIG
    assert str(info.value) in cli.err


def test_password_protected_server(write_config, auth_server, monkeypatch, unique_prefix) -> None:
    monkeypatch.setenv("P1_PW", "server-pw")
    write_config(
        {
            "p1": {
                "port": auth_server.port,
                "key_prefix": unique_prefix,
                "password": {"source": "env", "env": "P1_PW"},
            }
        },
        default="p1",
    )
    store = open_storage()
    store.set_with_ttl("k", 60, "v")
    assert store.get("k") == "v"


def test_wrong_password_is_an_error_not_a_fallback(
    write_config, auth_server, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("P1_PW", "wrong")
    write_config(
        {"p1": {"port": auth_server.port, "password": {"source": "env", "env": "P1_PW"}}},
        default="p1",
    )
    with pytest.raises(ZenConfigError) as info:
        open_storage()
    assert not isinstance(info.value, StorageUnavailableError)
    assert "refused the credentials of project 'p1'" in str(info.value)
    assert "wrong" not in str(info.value)
    assert "warning" not in capsys.readouterr().err


def test_acl_user_is_confined_to_its_prefix(write_config, auth_server, monkeypatch) -> None:
    monkeypatch.setenv("ALICE_PW", "alice-pw")
    alice = {
        "port": auth_server.port,
        "username": "alice",
        "key_prefix": "zen:alice:",
        "password": {"source": "env", "env": "ALICE_PW"},
    }
    intruder = {**alice, "port": auth_server.port, "db": 1, "key_prefix": "zen:bob:"}
    write_config({"alice": alice, "intruder": intruder})
    conversations = ConversationStore(open_storage("alice"))
    tid = conversations.create_thread("chat")
    assert conversations.add_turn(tid, "user", "hi")
    assert [t.content for t in conversations.get_thread(tid).turns] == ["hi"]
    bob_store = open_storage("intruder")  # PING is allowed; bob's keys are not
    with pytest.raises(ZenConfigError, match="the Redis ACL denies project 'intruder'"):
        bob_store.set_with_ttl("x", 10, "y")
    assert auth_server.cli("EXISTS", "zen:bob:x") == "0"


def test_tls_with_verification(write_config, tls_server, unique_prefix) -> None:
    server, certs, _ = tls_server
    write_config(
        {
            "t": {
                "host": "127.0.0.1",
                "port": server.port,
                "key_prefix": unique_prefix,
                "tls": {"enabled": True, "ca_file": certs["ca"]},
            }
        },
        default="t",
    )
    store = open_storage()
    store.set_with_ttl("k", 30, "over tls")
    assert (store.get("k"), store.degraded) == ("over tls", False)


def test_tls_wrong_ca_is_a_clear_error(write_config, tls_server, capsys) -> None:
    server, _, other = tls_server
    write_config(
        {"t": {"port": server.port, "tls": {"enabled": True, "ca_file": other["ca"]}}}, default="t"
    )
    with pytest.raises(ZenConfigError) as info:
        open_storage()
    assert not isinstance(info.value, StorageUnavailableError)
    assert str(info.value).startswith("TLS verification of the Redis server failed for project 't'")
    assert "warning" not in capsys.readouterr().err


def test_ttl_per_project_applied_and_refreshed(write_config, redis_server, unique_prefix) -> None:
    write_config(
        {
            "short": {
                "port": redis_server.port,
                "key_prefix": unique_prefix + "s:",
                "conversation_ttl_seconds": 120,
            },
            "long": {
                "port": redis_server.port,
                "key_prefix": unique_prefix + "l:",
                "conversation_ttl_seconds": 7200,
            },
        }
    )
    short, long_ = ConversationStore(open_storage("short")), ConversationStore(open_storage("long"))
    ts, tl = short.create_thread("chat"), long_.create_thread("chat")
    assert 100 < short.storage.ttl(meta_key(ts)) <= 120
    assert 7000 < long_.storage.ttl(meta_key(tl)) <= 7200
    redis_server.cli("EXPIRE", unique_prefix + "s:" + meta_key(ts), "5")
    assert short.add_turn(ts, "user", "refresh me")
    assert 100 < short.storage.ttl(meta_key(ts)) <= 120
    assert 100 < short.storage.ttl(turns_key(ts)) <= 120


def test_projects_on_one_server_never_see_each_other(
    write_config, redis_server, unique_prefix
) -> None:
    write_config(
        {
            "a": {"port": redis_server.port, "key_prefix": unique_prefix + "a:"},
            "b": {"port": redis_server.port, "key_prefix": unique_prefix + "b:"},
        }
    )
    a, b = ConversationStore(open_storage("a")), ConversationStore(open_storage("b"))
    ta = a.create_thread("chat")
    b.create_thread("review")
    assert [t.thread_id for t in a.list_threads()] == [ta]
    assert b.get_thread(ta) is None
    assert not b.add_turn(ta, "user", "cross-talk")


def test_one_pool_per_project_per_process(write_config, redis_server, unique_prefix) -> None:
    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p")
    first, second = open_storage(), open_storage()
    assert first.client is second.client  # type: ignore[attr-defined]


APPENDER = """
import sys
from zenconfig import ConversationStore, open_storage
store = ConversationStore(open_storage())
ok = sum(store.add_turn(sys.argv[1], "user", f"{sys.argv[2]}-{i}") for i in range(100))
print(ok)
"""


@pytest.mark.slow
@pytest.mark.parametrize(("max_turns", "expected"), [(1000, 800), (50, 50)])
def test_eight_processes_append_to_one_thread(
    write_config, redis_server, unique_prefix, home, max_turns: int, expected: int
) -> None:
    write_config(
        {"p": {"port": redis_server.port, "key_prefix": unique_prefix, "max_turns": max_turns}},
        default="p",
    )
    tid = ConversationStore(open_storage()).create_thread("chat")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, tid, str(n)],
            stdout=subprocess.PIPE,
            text=True,
            env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        )
        for n in range(8)
    ]
    accepted = [int(p.communicate(timeout=120)[0]) for p in procs]
    thread = ConversationStore(open_storage()).get_thread(tid)
    assert thread is not None
    assert len(thread.turns) == expected == sum(accepted)
    assert len({t.content for t in thread.turns}) == expected  # nothing lost or doubled


def test_fallback_when_the_server_stops_and_back_when_it_returns(
    write_config, server_dir, capsys
) -> None:
    server = servers.start(server_dir / "flaky")
    port = server.port
    try:
        write_config({"p": {"port": port, "timeouts": {"connect_seconds": 1.0}}}, default="p")
        assert not open_storage().degraded
        server.stop()
        from zenconfig import runtime as factory
        from zenconfig.storage import redis

        factory.reset()
        redis.close_all()  # a new process
        started = time.monotonic()
        store = open_storage()
        elapsed = time.monotonic() - started
        assert store.degraded and store.name == "degraded:p"
        assert elapsed < 1.9  # one connect timeout at most: no retry loop
        err = capsys.readouterr().err
        assert err.count("zen: warning: Redis for project 'p' is unreachable") == 1
        open_storage()
        assert "warning" not in capsys.readouterr().err  # warned once
        server = servers.start(server_dir / "flaky2", port=port)
        factory.reset()
        redis.close_all()
        assert not open_storage().degraded
    finally:
        server.stop()


def test_unanswering_listener_falls_back_within_one_timeout(write_config, capsys) -> None:
    with servers.unanswering_listener() as port:
        write_config({"p": {"port": port, "timeouts": {"connect_seconds": 1.0}}}, default="p")
        started = time.monotonic()
        store = open_storage()
        elapsed = time.monotonic() - started
    assert store.degraded
    assert 0.9 < elapsed < 1.9  # it waited for the timeout, and only once
    assert "zen: warning: Redis for project 'p' is unreachable" in capsys.readouterr().err


def test_fallback_error_raises_unreachable(write_config) -> None:
    write_config({"p": {"port": servers.free_port()}}, default="p", fallback="error")
    with pytest.raises(StorageUnavailableError) as info:
        open_storage()
    assert info.value.exit_code == ExitCode.STORAGE_UNREACHABLE


def test_resolve_reports_the_choice(write_config, redis_server, monkeypatch) -> None:
    write_config({"p": {"port": redis_server.port}}, default="p")
    assert resolve().project == "p"
    monkeypatch.setenv("ZEN_PROJECT", "nope")
    with pytest.raises(ZenConfigError, match="unknown project 'nope'"):
        resolve()


MEMORY_PATH = """
import json, sys
from zenconfig import open_storage, ConversationStore
store = open_storage()
store.set_with_ttl("k", 10, "v")
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"redis", "keyring", "pydantic_settings"})
print(json.dumps([store.name, store.get("k"), heavy]))
"""


def test_memory_path_imports_neither_redis_nor_keyring(home: Path, write_config) -> None:
    write_config({"p": {"port": 6399}})  # projects exist, but storage.type is memory
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_PATH],
        capture_output=True,
        text=True,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert json.loads(done.stdout) == ["memory", "v", []], done.stderr


def test_get_storage_backend_is_a_drop_in(write_config, redis_server, unique_prefix) -> None:
    from zenconfig import get_storage_backend

    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p")
    backend = get_storage_backend()
    assert backend is get_storage_backend()
    backend.setex("thread:abc", 60, '{"thread_id": "abc"}')
    backend.set_with_ttl("thread:def", 60, "{}")
    assert backend.get("thread:abc") == '{"thread_id": "abc"}'
    assert redis_server.cli("TTL", unique_prefix + "thread:def") in {"59", "60"}


def test_memory_store_is_thread_safe() -> None:
    import threading

    from zenconfig.storage.memory import MemoryStore

    conversations = ConversationStore(MemoryStore(max_turns=10_000))
    tid = conversations.create_thread("chat")

    def writer(n: int) -> None:
        for i in range(250):
            assert conversations.add_turn(tid, "user", f"{n}-{i}")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = conversations.get_thread(tid)
    assert stored is not None and len({t.content for t in stored.turns}) == 2000
