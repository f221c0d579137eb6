"""The Redis thread index under concurrent writers, and listing at scale."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests import servers
from zenconfig import ConversationStore, open_storage

WRITER = """
import sys
from zenconfig import ConversationStore, open_storage
conversations = ConversationStore(open_storage())
for i in range(10):
    tid = conversations.create_thread("chat" if i % 2 else "review", thread_id=f"{sys.argv[1]}-{i}")
    for n in range(3):
        assert conversations.add_turn(tid, "user", f"{n}")
    if i % 5 == 4:
        assert conversations.delete_thread(tid)
"""


@pytest.mark.slow
def test_index_exact_under_eight_writers(
    write_config, redis_server: servers.Server, unique_prefix: str, home
) -> None:
    # never the memory fallback: a writer slow to connect on a loaded machine would lose
    # its writes silently and still exit 0
    entry = {"port": redis_server.port, "key_prefix": unique_prefix}
    entry["timeouts"] = {"connect_seconds": 10, "socket_seconds": 30}
    write_config({"p": entry}, default="p", fallback="error")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, f"w{n}"],
            env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        )
        for n in range(8)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0] * 8
    store = open_storage()
    rows = store.thread_list(limit=1000)
    expected = {f"w{n}-{i}" for n in range(8) for i in range(10) if i % 5 != 4}
    assert {r.thread_id for r in rows} == expected and len(rows) == len(expected)
    assert all(r.turns == 3 and r.problem is None for r in rows)
    assert store.thread_count() == len(expected) == 64
    assert len(store.thread_list(limit=1000, tool="chat")) == 32


def test_listing_reads_only_what_it_shows(
    write_config, redis_server: servers.Server, unique_prefix: str
) -> None:
    """thread_list(5) on 300 threads: the server sees a handful of commands, not 300."""
    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p")
    store = open_storage()
    conversations = ConversationStore(store)
    for i in range(300):
        conversations.create_thread("chat", thread_id=f"t{i:03}")

    def calls() -> int:
        stats = redis_server.cli("INFO", "commandstats").splitlines()
        return sum(int(line.split("calls=")[1].split(",")[0]) for line in stats if "calls=" in line)

    before = calls()
    rows = store.thread_list(5)
    used = calls() - before - 1  # the INFO call itself
    assert [r.thread_id for r in rows] == ["t299", "t298", "t297", "t296", "t295"]
    assert used <= 1 + 3 * 16  # one index page, three reads per thread of that page


def test_a_malformed_stored_thread_is_a_row_not_an_exception(
    write_config, redis_server: servers.Server, unique_prefix: str
) -> None:
    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p")
    store = open_storage()
    conversations = ConversationStore(store)
    for tid in ("good", "string-meta", "string-turns"):
        conversations.create_thread("chat", thread_id=tid)
        conversations.add_turn(tid, "user", "hi")
    redis_server.cli("SET", f"{unique_prefix}thread:{{string-meta}}:meta", "oops")
    redis_server.cli("DEL", f"{unique_prefix}thread:{{string-turns}}:turns")
    redis_server.cli("SET", f"{unique_prefix}thread:{{string-turns}}:turns", "oops")
    rows = {r.thread_id: r for r in store.thread_list(10)}
    assert rows["good"].problem is None
    assert rows["string-meta"].problem is not None
    assert rows["string-meta"].problem.startswith("unreadable meta: WRONGTYPE")
    assert rows["string-turns"].problem is not None
    assert rows["string-turns"].problem.startswith("unreadable turns: WRONGTYPE")
    listed = conversations.list_threads()
    assert {t.thread_id: t.problem is None for t in listed} == {
        "good": True,
        "string-meta": False,
        "string-turns": False,
    }
