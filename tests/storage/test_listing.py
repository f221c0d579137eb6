"""``zen storage threads`` and ``show`` on Redis, a 3-master Cluster and the local store:
newest first through the index, limit/since/tool, malformed threads shown as such,
an index that lacks threads said so, everything from the store escaped."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from tests.storage.backends import Backend, backend_fixture  # noqa: F401
from zenconfig import ConversationStore
from zenconfig.errors import ExitCode
from zenconfig.storage.base import INDEX_MARKER, ThreadRecord, meta_key, turns_key
from zenconfig.storage.redis import index


def ago(seconds: float) -> str:
    return datetime.fromtimestamp(time.time() - seconds, UTC).isoformat()


def record(tid: str, tool: str, age: float, ttl: int | None = 3600) -> ThreadRecord:
    meta = {
        "thread_id": tid,
        "tool_name": tool,
        "created_at": ago(age),
        "last_updated_at": ago(age),
    }
    return ThreadRecord(tid, meta, ['{"role":"user","content":"hi"}'], ttl)


AGES = {
    "old-chat": ("chat", 3 * 86400),
    "old-review": ("review", 3 * 86400 + 5),
    "mid-chat": ("chat", 2.5 * 3600),
    "new-chat": ("chat", 60),
    "new-review": ("review", 30),
    "newest": ("chat", 1),
}


def listed(zen, b: Backend, *options: str) -> list[str]:
    r = zen(*b.args, "storage", "threads", *options, "--json")
    assert r.code == 0, r
    return [row["thread_id"] for row in r.json()]


def test_newest_first_with_limit_since_and_tool(zen, backend: Backend) -> None:
    store = backend.store()
    store.import_threads([record(t, tool, age) for t, (tool, age) in AGES.items()], False)
    newest_first = ["newest", "new-review", "new-chat", "mid-chat", "old-chat", "old-review"]
    assert listed(zen, backend) == newest_first
    assert listed(zen, backend, "--limit", "2") == ["newest", "new-review"]
    assert listed(zen, backend, "--since", "1h") == ["newest", "new-review", "new-chat"]
    assert listed(zen, backend, "--since", "2h 40m") == newest_first[:4]
    assert listed(zen, backend, "--tool", "chat", "-n", "2") == ["newest", "new-chat"]
    assert listed(zen, backend, "--since", "1d", "--tool", "review") == ["new-review"]
    assert listed(zen, backend, "--tool", "none") == []
    table = zen(*backend.args, "storage", "threads")
    assert table.code == 0 and table.err == ""
    assert table.out.splitlines()[0].split() == [
        "THREAD",
        "TOOL",
        "TURNS",
        "UPDATED",
        "EXPIRES",
        "IN",
    ]
    mid = next(line for line in table.out.splitlines() if line.startswith("mid-chat"))
    assert mid.split()[1:] == ["chat", "1", "2h", "30m", "ago", "59m", "59s"] or mid.split()[
        1:
    ] == [
        "chat",
        "1",
        "2h",
        "30m",
        "ago",
        "1h",
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--limit", "0"], "zen: error: --limit must be at least 1, not 0"),
        (["--since", "soon"], "zen: error: --since: not a duration: 'soon'"),
        (["--since", "-1h"], "zen: error: --since: not a duration: '-1h'"),
    ],
)
def test_bad_options_are_usage_errors(zen, options: list[str], message: str) -> None:
    r = zen("--memory", "storage", "threads", *options)
    assert r.code == ExitCode.USAGE and r.err.startswith(message), r


def test_a_malformed_thread_is_listed_as_such_and_text_escaped(zen, backend: Backend) -> None:
    store = backend.store()
    store.import_threads([record("good", "chat", 10)], False)
    odd = ThreadRecord("odd", {"thread_id": "odd", "tool_name": "c\x1b[2Jhat"}, [], 600)
    store.import_threads([odd], False)
    if backend.raw is not None:  # a key of the wrong type, written behind the store's back
        store.import_threads([record("wrong", "chat", 5)], False)
        backend.raw.delete(backend.key(turns_key("wrong")))
        backend.raw.set(backend.key(turns_key("wrong")), "oops")
    r = zen(*backend.args, "storage", "threads")
    assert r.code == 0, r
    assert "\x1b" not in r.out + r.err
    assert r.out.splitlines()[0].split()[-1] == "PROBLEM"
    odd_row = next(line for line in r.out.splitlines() if line.startswith("odd"))
    assert "c\\x1b[2Jhat" in odd_row and "meta lacks created_at, last_updated_at" in odd_row
    assert "zen: warning: thread odd is malformed: meta lacks created_at, last_updated_at" in r.err
    if backend.raw is not None:
        assert "zen: warning: thread wrong is malformed: unreadable turns: WRONGTYPE" in r.err
    rows = {
        row["thread_id"]: row for row in zen(*backend.args, "storage", "threads", "--json").json()
    }
    assert rows["good"]["problem"] is None and rows["odd"]["tool_name"] == "c\x1b[2Jhat"


def legacy(b: Backend, tid: str) -> None:
    """A thread as written before the index existed: its keys, no index entry."""
    stamp = ago(100)
    b.raw.hset(
        b.key(meta_key(tid)),
        mapping={
            "thread_id": tid,
            "tool_name": "chat",
            "created_at": stamp,
            "last_updated_at": stamp,
        },
    )
    b.raw.rpush(b.key(turns_key(tid)), '{"role":"user","content":"old"}')


@pytest.mark.parametrize("backend", ["redis", "cluster"], indirect=True)
def test_an_index_that_lacks_threads_says_so_until_reindexed(zen, backend: Backend) -> None:
    for i in range(3):
        legacy(backend, f"old{i}")
    r = zen(*backend.args, "storage", "threads")
    assert r.code == 0
    assert "zen: no threads in p" in r.err
    assert (
        "zen: warning: p holds threads its index lacks (written before the index existed); "
        "they are not listed or counted until: zen storage reindex"
    ) in r.err
    # a new thread written now is listed, and the index still says it lacks the others
    ConversationStore(backend.store()).create_thread("chat", thread_id="new")
    assert not backend.raw.exists(backend.key(INDEX_MARKER))
    r = zen(*backend.args, "storage", "threads")
    assert r.out.split()[6] == "new" and "its index lacks" in r.err
    assert backend.store().thread_reindex() == 4
    assert backend.raw.exists(backend.key(INDEX_MARKER))
    r = zen(*backend.args, "storage", "threads", "--json")
    assert r.err == "" and sorted(row["thread_id"] for row in r.json()) == [
        "new",
        "old0",
        "old1",
        "old2",
    ]


@pytest.mark.parametrize("backend", ["redis", "cluster"], indirect=True)
def test_the_first_write_of_a_new_project_marks_its_index(zen, backend: Backend) -> None:
    assert not backend.raw.exists(backend.key(INDEX_MARKER))
    ConversationStore(backend.store()).create_thread("chat", thread_id="first")
    assert backend.raw.get(backend.key(INDEX_MARKER)) == b"1"
    r = zen(*backend.args, "storage", "threads")
    assert r.code == 0 and r.err == "" and "first" in r.out


@pytest.mark.parametrize("backend", ["redis", "cluster"], indirect=True)
def test_an_unverified_index_is_noted_then_verified(
    zen, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index written before the marker existed, in a database holding much else: each
    listing verifies a step more (the walk is kept between listings) until it is done."""
    ConversationStore(backend.store()).create_thread("chat", thread_id="t")
    backend.raw.delete(backend.key(INDEX_MARKER))
    for i in range(300):
        backend.raw.set(f"{backend.prefix}other:{i}", "x")
    monkeypatch.setattr(index, "LIST_BUDGET", 0.0)  # one SCAN step per listing
    monkeypatch.setattr(index, "PROBE_COUNT", max(20, backend.raw.dbsize() // 6))
    notes = 0
    for _ in range(200):
        r = zen(*backend.args, "storage", "threads")
        assert r.code == 0 and "t" in r.out.split()
        if not r.err:
            break
        assert r.err == (
            "zen: the thread index of p was not verified complete; if threads are missing, "
            "run once: zen storage reindex\n"
        )
        assert backend.raw.exists(backend.key(index.PROBE))
        notes += 1
    assert notes >= 2 and r.err == ""
    assert backend.raw.exists(backend.key(INDEX_MARKER))
    assert not backend.raw.exists(backend.key(index.PROBE))


def test_show_escapes_what_it_prints(zen, backend: Backend) -> None:
    conversations = ConversationStore(backend.store())
    tid = conversations.create_thread("chat\x1b]0;x\x07", thread_id="shown")
    conversations.add_turn(
        tid, "user", "line one\n\x1b[31mred\x1b[0m\ttab\u202e", model_name="m\x9b"
    )
    r = zen(*backend.args, "storage", "show", "shown")
    assert r.code == 0, r
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in r.out
    assert "line one\n\\x1b[31mred\\x1b[0m    tab\\u202e" in r.out
    assert "(chat\\x1b]0;x\\x07, 1 turns)" in r.out and "[m\\x9b]" in r.out
    shown = zen(*backend.args, "storage", "show", "shown", "--json")
    assert shown.out.isascii() and "\x1b" not in shown.out
    assert json.loads(shown.out)["turns"][0]["content"].startswith("line one\n\x1b[31m")


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
def test_listing_costs_the_same_whatever_the_project_holds(
    zen, backend: Backend, quiet_server
) -> None:
    store = backend.store()

    def commands() -> int:
        stats = quiet_server.cli("INFO", "commandstats").splitlines()
        return sum(int(line.split("calls=")[1].split(",")[0]) for line in stats if "calls=" in line)

    def cost() -> int:
        before = commands()
        assert zen(*backend.args, "storage", "threads", "--limit", "5").code == 0
        return commands() - before - 1

    store.import_threads([record(f"a{i}", "chat", i) for i in range(300)], False)
    small = cost()
    store.import_threads([record(f"b{i}", "chat", 1000 + i) for i in range(3000)], False)
    assert cost() == small <= 60


WRITER = """
import sys
from zenconfig import ConversationStore, open_storage
store = open_storage(local=True) if sys.argv[2] == "local" else open_storage("p")
conversations = ConversationStore(store)
for i in range(10):
    tid = conversations.create_thread("chat" if i % 2 else "review", thread_id=f"{sys.argv[1]}-{i}")
    for n in range(3):
        assert conversations.add_turn(tid, "user", f"{n}")
    if i % 5 == 4:
        assert conversations.delete_thread(tid)
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["cluster", "local"], indirect=True)
def test_index_exact_under_eight_writers(zen, backend: Backend, home) -> None:
    """8 processes creating, appending and deleting at once: the index holds exactly
    the threads that remain (Cluster: the index update that follows each write)."""
    import subprocess
    import sys

    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, f"w{n}", backend.kind], env=env)
        for n in range(8)
    ]
    assert [p.wait(timeout=180) for p in procs] == [0] * 8
    store = backend.store()
    rows = store.thread_list(limit=1000)
    expected = {f"w{n}-{i}" for n in range(8) for i in range(10) if i % 5 != 4}
    assert {r.thread_id for r in rows} == expected and len(rows) == len(expected) == 64
    assert all(r.turns == 3 and r.problem is None for r in rows)
    assert store.thread_count() == 64 and store.thread_index_state() == "complete"
    r = zen(*backend.args, "storage", "threads", "--tool", "chat", "--limit", "100", "--json")
    assert len(r.json()) == 32 and r.err == ""
