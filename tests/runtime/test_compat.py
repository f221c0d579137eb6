"""zen's own storage calls, both generations, on get_storage_backend().

tests/zenlike.py drives the backend as zen does (read the thread document,
change it in Python, write it back). Against real stores: every turn of
concurrent writers kept, the project's max_turns and TTL applied, the
document read back as written, other keys stored as given, and zen's threads
visible to `zen storage`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import zenlike
from tests.servers import Server
from zenconfig import get_storage_backend, runtime
from zenconfig.storage.base import meta_key

GENERATIONS = ("mcp", "cli")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    runtime.reset()
    yield
    runtime.reset()


@pytest.fixture
def project(write_config: Callable[..., Path], redis_server: Server, unique_prefix: str) -> Path:
    conn = {"port": redis_server.port, "key_prefix": unique_prefix, "max_turns": 1000}
    return write_config({"p": conn}, default="p")


def _appenders(home: Path, generation: str, thread_id: str, processes: int, turns: int) -> int:
    env = {**os.environ, "HOME": str(home), "MAX_CONVERSATION_TURNS": "1000"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.zenlike", generation, thread_id, str(turns)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    acknowledged = 0
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        acknowledged += json.loads(out)["acknowledged"]
    return acknowledged


@pytest.mark.parametrize("generation", GENERATIONS)
def test_concurrent_writers_keep_every_turn(project: Path, home: Path, generation: str) -> None:
    backend = get_storage_backend()
    tid = zenlike.create_thread(backend, generation)
    assert _appenders(home, generation, tid, processes=4, turns=50) == 200
    thread = zenlike.read(backend, generation, tid)
    assert thread is not None and len(thread.turns) == 200
    assert len({t.content for t in thread.turns}) == 200


@pytest.mark.parametrize("generation", GENERATIONS)
def test_project_max_turns_binds(
    write_config: Callable[..., Path], redis_server: Server, unique_prefix: str, home: Path,
    generation: str,
) -> None:  # fmt: skip
    conn = {"port": redis_server.port, "key_prefix": unique_prefix, "max_turns": 50}
    write_config({"p": conn}, default="p")
    backend = get_storage_backend()
    tid = zenlike.create_thread(backend, generation)
    acknowledged = _appenders(home, generation, tid, processes=4, turns=50)
    meta, turns = backend.store.thread_read(tid)
    assert meta is not None and len(turns) == 50
    assert acknowledged == 50  # a refused turn is reported as not added, never silently lost


@pytest.mark.parametrize("generation", GENERATIONS)
def test_document_reads_back_as_written(project: Path, generation: str) -> None:
    backend = get_storage_backend()
    thread = zenlike.Thread(
        thread_id="5f0c8a3e-1b2d-4c5e-8f9a-0b1c2d3e4f5a",
        parent_thread_id=None,
        created_at="2026-11-26T00:30:06.428794+00:00",
        last_updated_at="2026-11-26T00:30:06.429243+00:00",
        tool_name="chat",
        turns=[
            zenlike.Turn(role="user", content="héllo \u2028 \"quoted\" \n", timestamp="t1",
                         files=[], images=[], tool_name="chat"),
            zenlike.Turn(role="assistant", content="4", timestamp="t2", files=["/a.py"],
                         images=[], tool_name="chat", model_provider="google",
                         model_name="gemini", model_metadata={"usage": {"input_tokens": 1}}),
        ],
        initial_context={"prompt": "hi", "absolute_file_paths": []},
    )  # fmt: skip
    zenlike.write(backend, generation, thread)
    got = backend.get(f"thread:{thread.thread_id}")
    if generation == "mcp":
        assert got == thread.model_dump_json()  # byte for byte
    else:
        assert got == thread.model_dump()


def test_project_ttl_wins_for_threads_only(
    write_config: Callable[..., Path], redis_server: Server, unique_prefix: str
) -> None:
    conn = {"port": redis_server.port, "key_prefix": unique_prefix, "conversation_ttl_seconds": 600}
    write_config({"p": conn}, default="p")
    backend = get_storage_backend()
    tid = zenlike.create_thread(backend, "mcp")
    assert 590 <= backend.store.ttl(meta_key(tid)) <= 600
    backend.set("workflow_session:planner_1_ab", {"step": 1}, ttl=10800)
    assert 10790 <= backend.store.ttl("workflow_session:planner_1_ab") <= 10800


def test_zen_cli_keys_and_listing(project: Path) -> None:
    backend = get_storage_backend()
    tid = zenlike.create_thread(backend, "cli")
    session = {"session_id": "planner_1_ab", "findings": "x", "last_arguments": {"a": [1, 2]}}
    backend.set("workflow_session:planner_1_ab", session, ttl=10800)
    backend.set("note", "\x1eleading separator")
    assert backend.get("workflow_session:planner_1_ab") == session
    assert backend.get("note") == "\x1eleading separator"
    assert backend.exists(f"thread:{tid}") and backend.exists("workflow_session:planner_1_ab")
    assert backend.list_keys() == sorted([f"thread:{tid}", "workflow_session:planner_1_ab", "note"])
    assert backend.list_keys("workflow_session:*") == ["workflow_session:planner_1_ab"]
    assert backend.delete(f"thread:{tid}") is True
    assert backend.get(f"thread:{tid}") is None
    assert not backend.exists(f"thread:{tid}")


def _thread_saying(backend: Any, *words: str) -> str:
    """A thread zen made and added ``words`` to (one turn each), through ``backend``."""
    tid = zenlike.create_thread(backend, "mcp")
    for word in words:
        zenlike.add_turn(backend, "mcp", tid, "user", word)
    return tid


def test_a_writer_cannot_remove_stored_turns(project: Path) -> None:
    """Documented: a write is a merge; a dropped or changed turn does not rewrite history."""
    backend = get_storage_backend()
    tid = _thread_saying(backend, "one", "two")
    thread = zenlike.read(backend, "mcp", tid)
    assert thread is not None
    thread.turns = thread.turns[1:]  # drop "one"
    thread.turns[0].content = "TWO"  # and rewrite "two"
    zenlike.write(backend, "mcp", thread)
    kept = zenlike.read(backend, "mcp", tid)
    assert kept is not None and [t.content for t in kept.turns] == ["one", "two", "TWO"]


def test_zens_threads_are_seen_by_zen_storage(project: Path, zen: Any) -> None:
    backend = get_storage_backend()
    tid = zenlike.create_thread(backend, "mcp", tool="thinkdeep")
    zenlike.add_turn(backend, "mcp", tid, "user", "what is 2+2?")
    zenlike.add_turn(backend, "mcp", tid, "assistant", "4")
    listed = zen("storage", "threads", "--json")
    assert listed.code == 0, listed
    [row] = [r for r in json.loads(listed.out) if r["thread_id"] == tid]
    assert (row["tool_name"], row["turns"]) == ("thinkdeep", 2)
    shown = zen("storage", "show", tid, "--json")
    assert [t["content"] for t in json.loads(shown.out)["turns"]] == ["what is 2+2?", "4"]
    exported = zen("storage", "export")
    [line] = [json.loads(x) for x in exported.out.splitlines() if tid in x]
    assert [t["content"] for t in line["turns"]] == ["what is 2+2?", "4"]


@pytest.mark.parametrize("kind", ["memory", "local"])
def test_other_stores_merge_too(kind: str, home: Path, zen: Any) -> None:
    if kind == "local":
        assert zen("config", "init").code == 0 and zen("config", "use", "--local").code == 0
    backend = get_storage_backend()
    tid = zenlike.create_thread(backend, "cli")
    a = zenlike.read(backend, "cli", tid)
    b = zenlike.read(backend, "cli", tid)
    assert a is not None and b is not None
    for thread, word in ((a, "from a"), (b, "from b")):  # two stale readers
        thread.turns.append(zenlike.Turn(role="user", content=word, timestamp=zenlike.now()))
        zenlike.write(backend, "cli", thread)
    final = zenlike.read(backend, "cli", tid)
    assert final is not None and [t.content for t in final.turns] == ["from a", "from b"]


def test_zen_clis_own_redis_data_is_read_and_moved(project: Path) -> None:
    """What zen-cli's Redis store wrote before zenconfig (json.dumps of a dict)."""
    backend = get_storage_backend()
    store = backend.store
    tid = "a414d4a2-261a-46e4-8787-9785d7be5acc"
    thread = zenlike.Thread(
        thread_id=tid, created_at="c", last_updated_at="u", tool_name="chat",
        turns=[zenlike.Turn(role="user", content="hi", timestamp="t")], initial_context={},
    )  # fmt: skip
    store.set(f"thread:{tid}", json.dumps(thread.model_dump()))
    store.set("workflow_session:s1", json.dumps({"step": 2, "findings": "x"}))
    assert backend.get("workflow_session:s1") == {"step": 2, "findings": "x"}
    assert backend.get(f"thread:{tid}") == thread.model_dump()
    assert store.get(f"thread:{tid}") is None  # moved into the thread layout
    assert store.thread_read(tid)[0] is not None
    compact_text = json.dumps({"a": 1}, separators=(",", ":"))
    backend.setex("plain", 60, compact_text)
    assert backend.get("plain") == compact_text  # the MCP server's text stays text


def test_no_ttl_means_zens_default(project: Path) -> None:
    backend = get_storage_backend()
    backend.set("workflow_session:s2", {"a": 1})
    backend.set("workflow_session:s3", {"a": 1}, ttl=0)
    for key in ("workflow_session:s2", "workflow_session:s3"):
        assert 0 < backend.store.ttl(key) <= backend.store.default_ttl


def _stats(server: Server) -> dict[str, int]:
    found = {}
    for line in server.cli("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[len("cmdstat_") :].split(":", 1)
            found[name] = int(rest.split(",")[0].split("=")[1])
    return found


@pytest.mark.parametrize("generation", GENERATIONS)
def test_an_append_after_a_read_sends_only_the_new_turn(
    project: Path, redis_server: Server, generation: str
) -> None:
    """The write of a document that begins with the turns ``get`` gave is a merge after
    them: the server checks the first and the last turn read (LINDEX), compares nothing
    else and is sent only the new turn."""
    backend = get_storage_backend()
    tid = zenlike.create_thread(backend, generation)
    for i in range(5):
        zenlike.add_turn(backend, generation, tid, "user", f"turn {i} ✓")
    before = _stats(redis_server)
    assert zenlike.add_turn(backend, generation, tid, "user", "the sixth")
    after = _stats(redis_server)
    assert after.get("lindex", 0) - before.get("lindex", 0) == 2
    assert after["lrange"] - before["lrange"] == 1  # the read's; the merge needed none
    thread = zenlike.read(backend, generation, tid)
    assert thread is not None
    assert [t.content for t in thread.turns][-2:] == ["turn 4 ✓", "the sixth"]


def test_a_thread_changed_since_the_read_is_merged_whole(project: Path) -> None:
    backend = get_storage_backend()
    tid = _thread_saying(backend, "one", "two")
    thread = zenlike.read(backend, "mcp", tid)
    assert thread is not None
    other = runtime.compat.ZenBackend(backend.store)  # another process: delete, write anew
    assert other.delete(f"thread:{tid}")
    fresh = zenlike.Thread(**{**thread.model_dump(), "turns": []})
    fresh.turns.append(zenlike.Turn(role="user", content="elsewhere", timestamp="t0"))
    zenlike.write(other, "mcp", fresh)
    thread.turns.append(zenlike.Turn(role="user", content="three", timestamp=zenlike.now()))
    zenlike.write(backend, "mcp", thread)  # its read no longer holds: the whole document
    kept = zenlike.read(backend, "mcp", tid)
    assert kept is not None
    assert [t.content for t in kept.turns] == ["elsewhere", "one", "two", "three"]


def test_a_changed_turn_is_new_however_the_document_is_spelled(project: Path) -> None:
    backend = get_storage_backend()
    tid = _thread_saying(backend, "one", "two")
    text = backend.get(f"thread:{tid}")
    document = json.loads(text)
    read = [dict(t) for t in document["turns"]]
    document["turns"][0]["content"] = "ONE"  # rewritten in place, and the read turns
    document["initial_context"] = {"turns": read}  # kept under another "turns" key
    document["turns"].append({**read[1], "content": "three"})
    backend.setex(f"thread:{tid}", 60, json.dumps(document, separators=(",", ":")))
    kept = zenlike.read(backend, "mcp", tid)
    assert kept is not None
    assert [t.content for t in kept.turns] == ["one", "two", "ONE", "three"]
    assert kept.initial_context == {"turns": read}


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ('{"id":1,"turns":[{"a":1},{"b":2}],"x":0}', '{"id":1,"turns":[],"x":0}'),
        ('{"id":1,"turns":[{"a":1},{"b":2},{"c":3}]}', '{"id":1,"turns":[{"c":3}]}'),
        ('{"id":1,"turns":[{"a":1},{"b":2}3]}', None),  # not "," or "]" after them
        ('{"id":1,"turns":[{"a":1},{"b":3}]}', None),  # another second turn
        ('{"id":1,"turns":[{"a":1}]}', None),  # fewer
        ('{"id":1,"turns" :[{"a":1},{"b":2}]}', None),  # spelled otherwise
        ('{"x":{"turns":[]},"turns":[{"a":1},{"b":2}]}', None),  # "turns" twice
        ('{"x":"say \\"turns","turns":[{"a":1},{"b":2}]}', None),
        ('{"\\u0074urns":[{"a":1},{"b":2}],"y":{"turns":[{"a":1},{"b":2}]}}', None),  # \u
    ],
)
def test_after_read_is_taken_only_where_plain_to_see(text: str, rest: str | None) -> None:
    assert runtime.compat._after_read(text, '{"a":1},{"b":2}') == rest


def test_a_reader_that_knows_the_turns_still_sees_every_change(project: Path) -> None:
    backend, other = get_storage_backend(), runtime.compat.ZenBackend(get_storage_backend().store)
    tid = zenlike.create_thread(backend, "mcp")
    zenlike.add_turn(backend, "mcp", tid, "user", "mine")  # backend knows the thread now
    zenlike.add_turn(other, "mcp", tid, "user", "theirs")  # appended behind its back
    thread = zenlike.read(backend, "mcp", tid)
    assert thread is not None and [t.content for t in thread.turns] == ["mine", "theirs"]
    assert other.delete(f"thread:{tid}")
    fresh = zenlike.Thread(**{**thread.model_dump(), "turns": []})
    fresh.turns.append(zenlike.Turn(role="user", content="anew", timestamp="t0"))
    zenlike.write(other, "mcp", fresh)  # deleted and written anew
    again = zenlike.read(backend, "mcp", tid)
    assert again is not None and [t.content for t in again.turns] == ["anew"]
    assert other.delete(f"thread:{tid}") and zenlike.read(backend, "mcp", tid) is None
    # written anew with the same first and last turn, another between: read as it is now
    a, b, c = (zenlike.Turn(role="user", content=w, timestamp="t") for w in ("a", "b", "c"))
    zenlike.write(backend, "mcp", zenlike.Thread(**{**fresh.model_dump(), "turns": [a, b, c]}))
    assert zenlike.read(backend, "mcp", tid) is not None
    x = zenlike.Turn(role="user", content="X", timestamp="t")
    assert other.delete(f"thread:{tid}")
    zenlike.write(other, "mcp", zenlike.Thread(**{**fresh.model_dump(), "turns": [a, x, c]}))
    now = zenlike.read(backend, "mcp", tid)
    assert now is not None and [t.content for t in now.turns] == ["a", "X", "c"]


@pytest.mark.parametrize("generation", GENERATIONS)
def test_the_head_reads_back_as_written_whatever_its_values(project: Path, generation: str) -> None:
    backend = get_storage_backend()
    tid = "7a1f8f0e-4a53-4f0e-9a53-3c7b2f1d9e10"
    turn = {"role": "user", "content": "x", "timestamp": "t", "files": None, "images": None,
            "tool_name": None, "model_provider": None, "model_name": None,
            "model_metadata": None}  # fmt: skip
    odd = {
        "thread_id": tid,
        "created_at": 17,
        "last_updated_at": 1.5,
        "tool_name": {"x": "\x00zen-turns\x00"},
        "extra": "\x00zen-turns\x00",
        "turns": [turn],
        "initial_context": None,
    }  # no parent_thread_id; values of any kind; the old placeholder as a value
    text = json.dumps(odd, separators=(",", ":"), ensure_ascii=False)
    if generation == "mcp":
        backend.setex(f"thread:{tid}", 60, text)
        assert backend.get(f"thread:{tid}") == text
    else:
        backend.set(f"thread:{tid}", odd, ttl=60)
        assert backend.get(f"thread:{tid}") == odd
    meta, _ = backend.store.thread_read(tid)
    assert meta is not None and (meta["created_at"], meta["parent_thread_id"]) == ("17", "")
    backend.store.thread_merge(tid, {"last_updated_at": "changed"}, [], 60, 10)
    got = backend.get(f"thread:{tid}")
    changed = json.loads(got) if generation == "mcp" else got
    assert changed == {**odd, "last_updated_at": "changed"}  # what was changed since, only


@pytest.mark.parametrize("reads_first", [True, False], ids=["read", "not-read"])
def test_turns_stored_in_another_spelling_are_not_written_again(
    project: Path, reads_first: bool
) -> None:
    """Imported turns may have their fields in another order, or fewer; zen's models
    write them back in zen's spelling, which is still the same turn. (A thread zen did
    not write reads back as text, as the MCP server's API gives it.)"""
    generation = "mcp"
    from zenconfig.storage.base import ThreadRecord

    backend = get_storage_backend()
    tid = "0d3c2b1a-0000-4000-8000-000000000001"
    spelled = ['{"content":"a","role":"user","timestamp":"t1"}',
               '{"role":"assistant","timestamp":"t2","content":"b","extra":1}']  # fmt: skip
    meta = {"tool_name": "chat", "created_at": "c", "last_updated_at": "u"}
    backend.store.import_threads([ThreadRecord(tid, meta, spelled, 600)], replace=False)
    for i in range(3):
        if reads_first:
            zenlike.add_turn(backend, generation, tid, "user", f"n{i}")
        else:  # a writer holding a document it did not read through this backend
            thread = zenlike.read(runtime.compat.ZenBackend(backend.store), generation, tid)
            assert thread is not None
            thread.turns.append(zenlike.Turn(role="user", content=f"n{i}", timestamp="t"))
            zenlike.write(runtime.compat.ZenBackend(backend.store), generation, thread)
    _, turns = backend.store.thread_read(tid)
    assert turns[:2] == spelled  # kept as stored, never doubled
    assert [json.loads(t)["content"] for t in turns] == ["a", "b", "n0", "n1", "n2"]


@pytest.mark.parametrize("kind", ["redis", "local"])
def test_text_that_is_not_utf8_is_refused_with_our_error(
    kind: str, project: Path, zen: Any
) -> None:
    from zenconfig.errors import WriteRefusedError

    if kind == "local":
        assert zen("config", "use", "--local").code == 0
    backend = get_storage_backend()
    tid = zenlike.create_thread(backend, "mcp")
    with pytest.raises(WriteRefusedError, match=r"\\ud800.*not UTF-8"):
        backend.setex("note", 60, "lone \ud800 surrogate")
    document = json.loads(backend.get(f"thread:{tid}"))
    document["turns"].append({"role": "user", "content": "lone \ud800", "timestamp": "t"})
    with pytest.raises(WriteRefusedError, match="not UTF-8"):
        backend.setex(f"thread:{tid}", 60, json.dumps(document, ensure_ascii=False))
    with pytest.raises(WriteRefusedError, match="not UTF-8"):
        backend.set(f"thread:{tid}", document)  # zen-cli's dict
    kept = zenlike.read(backend, "mcp", tid)
    assert kept is not None and kept.turns == []


def test_a_value_that_is_not_the_thread_is_refused_under_its_key(project: Path) -> None:
    from zenconfig.errors import WriteRefusedError

    backend = get_storage_backend()
    tid = zenlike.create_thread(backend, "cli")
    document = backend.get(f"thread:{tid}")
    for value in ({**document, "turns": ()}, {**document, "thread_id": "other"}, "plain"):
        with pytest.raises(WriteRefusedError, match="holds a thread") as raised:
            backend.set(f"thread:{tid}", value)
        assert raised.value.hint is not None and "delete" in raised.value.hint
    assert backend.get(f"thread:{tid}") == document  # nothing changed
    assert backend.delete(f"thread:{tid}")
    backend.set(f"thread:{tid}", "plain")  # no thread there: any value
    assert backend.get(f"thread:{tid}") == "plain"


def test_zens_threads_copy_and_verify(
    write_config: Callable[..., Path], redis_server: Server, unique_prefix: str, zen: Any
) -> None:
    """A zen thread's meta holds long values, so Redis keeps it as a hash table, which
    a copy lays out anew: the copy is verified on the data, not on DUMP bytes."""
    projects = {
        name: {"port": redis_server.port, "key_prefix": f"{unique_prefix}{name}:"}
        for name in ("p", "q")
    }
    write_config(projects, default="p")
    backend = get_storage_backend()
    tid = zenlike.create_thread(backend, "mcp", context={"prompt": "p" * 200})
    zenlike.add_turn(backend, "mcp", tid, "user", "copied whole")
    copied = zen("storage", "copy", "--from", "p", "--to", "q", "--json")
    assert copied.code == 0, copied
    assert copied.json()["verified"]["ok"]
    shown = zen("storage", "show", tid, "--project", "q", "--json")
    assert [t["content"] for t in json.loads(shown.out)["turns"]] == ["copied whole"]


@given(
    st.dictionaries(
        st.text(max_size=6).filter(lambda k: k != "turns"),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner),
            max_leaves=5,
        ),
        max_size=5,
    ),
    st.integers(min_value=0, max_value=5),
    st.lists(st.dictionaries(st.text(max_size=4), st.text(max_size=4)), max_size=3),
)
def test_a_document_is_written_out_as_its_fields_one_by_one(
    fields: dict[str, Any], at: int, turns: list[dict[str, str]]
) -> None:
    """``_document_text`` encodes the head in two pieces around the turns: the same text
    as encoding each field in its place, with the turns' stored texts as they are."""
    from zenconfig.runtime.compat import _document_text
    from zenconfig.storage.turns import compact

    items = list(fields.items())
    items.insert(min(at, len(items)), ("turns", None))
    head = dict(items)
    stored = [compact(t) for t in turns]
    each = (
        f"{compact(k)}:{'[' + ','.join(stored) + ']' if k == 'turns' else compact(v)}"
        for k, v in head.items()
    )
    assert _document_text(head, ",".join(stored)) == "{" + ",".join(each) + "}"
