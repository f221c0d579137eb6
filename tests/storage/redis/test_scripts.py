"""storage/redis/scripts.py: the thread scripts run directly (both runners): their return
codes, max_turns held under racing appends, byte-exact turns under a non-ASCII
prefix, a merge after the turns a writer read, index pruning, import outcomes and the
checked delete."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests import servers
from zenconfig import spec
from zenconfig.storage.base import INDEX_EXPIRY, INDEX_UPDATED, meta_key, turns_key
from zenconfig.storage.redis import scripts
from zenconfig.storage.redis.client import build_client, raw


class Keys:
    """A thread's four keys under a non-ASCII prefix, and a runner for each script."""

    def __init__(self, client: Any, prefix: str, cluster: bool) -> None:
        self.client, self.prefix, self.cluster = client, prefix, cluster
        self.updated = prefix + INDEX_UPDATED
        self.expiry = prefix + INDEX_EXPIRY

    def of(self, tid: str) -> list[str]:
        return [
            self.prefix + meta_key(tid),
            self.prefix + turns_key(tid),
            self.updated,
            self.expiry,
        ]

    def run(self, name: str, keys: list[str], args: list[Any], client: Any = None) -> Any:
        script = scripts.runner(self.client, getattr(scripts, name), self.cluster)
        return script(keys=keys, args=args, client=client)


def merging(
    tid: str, max_turns: int, meta: list[str], turns: list[str], after: tuple[Any, ...] = ()
) -> list[Any]:
    """MERGE's arguments (a ttl of 60 s): ``after`` is (n, first, n-th) or nothing."""
    return [tid, 60, max_turns, *(after or ("", "", "")), len(meta), *meta, *turns]


@pytest.fixture(params=[False, True], ids=["evalsha", "eval"])
def keys(request: pytest.FixtureRequest, redis_server: servers.Server) -> Iterator[Keys]:
    prefix = f"zt:тест-{uuid.uuid4().hex[:8]}:"
    conn = spec.connection("s", {"port": redis_server.port, "key_prefix": prefix})
    client = build_client(conn, None)
    yield Keys(client, prefix, request.param)
    names = list(client.scan_iter(match=raw(prefix) + b"*"))
    if names:
        client.delete(*names)
    client.close()


def test_append_codes_and_expiry(keys: Keys) -> None:
    c = keys.client
    meta, turns, _, _ = keys.of("t")
    assert keys.run("APPEND", keys.of("t"), ["t", "x", 60, 2, "now"]) == -1  # no thread
    assert c.exists(turns) == 0  # and nothing written
    assert keys.run("CREATE", keys.of("t"), ["t", 60, "tool_name", "chat"]) == 1
    assert keys.run("APPEND", keys.of("t"), ["t", "one", 60, 2, "at-1"]) == 1
    assert keys.run("APPEND", keys.of("t"), ["t", "two", 60, 2, "at-2"]) == 2
    assert keys.run("APPEND", keys.of("t"), ["t", "three", 60, 2, "at-3"]) == -2  # full
    assert c.lrange(turns, 0, -1) == [b"one", b"two"]
    assert c.hget(meta, "last_updated_at") == b"at-2"  # the refused append changed nothing
    assert 0 < c.ttl(meta) <= 60 and 0 < c.ttl(turns) <= 60
    assert c.zscore(keys.expiry, "t") is not None
    assert keys.run("APPEND", keys.of("t"), ["t", "two", 0, 3, "at-4"]) == 3  # ttl 0: forever
    assert (c.ttl(meta), c.ttl(turns)) == (-1, -1)
    assert c.zscore(keys.expiry, "t") is None and c.zscore(keys.updated, "t") is not None


def test_racing_appends_never_pass_max_turns(keys: Keys) -> None:
    keys.run("CREATE", keys.of("r"), ["r", 60, "tool_name", "chat"])
    replies: list[int] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        for i in range(15):
            got = keys.run("APPEND", keys.of("r"), ["r", f"{n}-{i}", 60, 40, "now"])
            with lock:
                replies.append(int(got))

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(r for r in replies if r > 0) == list(range(1, 41))  # each length once
    assert replies.count(-2) == 8 * 15 - 40
    assert keys.client.llen(keys.of("r")[1]) == 40


TURNS = ["plain", "ünïcødé 🧵", "3:abc", "a:b:c", "", "12", "bad-\udcff-bytes"]


def test_merge_keeps_every_byte(keys: Keys) -> None:
    tid = "нить-1"
    first = keys.run("MERGE", keys.of(tid), merging(tid, 10, ["tool_name", "чат"], TURNS))
    assert first == [1, len(TURNS), 0, len(TURNS)]
    stored = keys.client.lrange(keys.of(tid)[1], 0, -1)
    assert stored == [raw(t) for t in TURNS]  # byte lengths, not characters
    assert keys.client.hget(keys.of(tid)[0], "tool_name") == raw("чат")
    again = ["ünïcødé 🧵", "ünïcødé 🧵", "new", "newer"]  # one repeat is new, then two more
    too_many = keys.run("MERGE", keys.of(tid), merging(tid, 9, [], again))
    assert too_many == [0, 0, 3, len(TURNS)]  # 3 new would pass 9: refused whole
    assert keys.run("MERGE", keys.of(tid), merging(tid, 9, [], again[:3])) == [0, 2, 0, 9]
    turns = keys.client.lrange(keys.of(tid)[1], 0, -1)
    assert turns == [raw(t) for t in [*TURNS, "ünïcødé 🧵", "new"]]


def test_a_merge_after_the_turns_read_checks_them_and_compares_only_the_rest(
    keys: Keys,
) -> None:
    tid, c = "after", keys.client
    listed = keys.of(tid)[1]

    def merge(turns: list[str], base: int, last: str, max_turns: int = 10) -> Any:
        args = merging(tid, max_turns, [], turns, (base, "a" if base else "", last))
        return keys.run("MERGE", keys.of(tid), args)

    assert merge(["a"], 0, "") == [-1, 0, 0, 0]  # no thread: the writer read another
    assert c.exists(keys.of(tid)[0], listed) == 0  # and nothing was written
    keys.run("MERGE", keys.of(tid), merging(tid, 10, ["tool_name", "c"], ["a", "b"]))
    assert merge(["c"], 2, "b") == [0, 1, 0, 3]
    assert merge(["x"], 4, "c") == [-1, 0, 0, 0]  # fewer turns stored than read
    assert merge(["x"], 2, "a") == [-1, 0, 0, 0]  # the 2nd is not the one read
    args = merging(tid, 10, [], ["x"], (2, "z", "b"))
    assert keys.run("MERGE", keys.of(tid), args) == [-1, 0, 0, 0]  # nor the 1st
    assert c.lrange(listed, 0, -1) == [b"a", b"b", b"c"]
    # written since the read (c): compared with what came after the read, counting repeats
    assert merge(["c", "d"], 2, "b") == [0, 1, 0, 4]
    assert merge(["d", "d"], 3, "c") == [0, 1, 0, 5]
    assert merge(["e", "f"], 5, "d", max_turns=6) == [0, 0, 2, 5]  # refused whole
    assert c.lrange(listed, 0, -1) == [b"a", b"b", b"c", b"d", b"d"]
    assert merge([], 0, "") == [0, 0, 0, 5]  # read empty, wrote nothing: a touch


def test_create_keeps_an_existing_thread(keys: Keys) -> None:
    assert keys.run("CREATE", keys.of("c"), ["c", 0, "tool_name", "first"]) == 1
    assert keys.run("CREATE", keys.of("c"), ["c", 60, "tool_name", "second"]) == 0
    meta = keys.of("c")[0]
    assert keys.client.hget(meta, "tool_name") == b"first" and keys.client.ttl(meta) == -1
    assert keys.client.zscore(keys.expiry, "c") is None


def test_a_write_prunes_at_most_four_expired_entries(keys: Keys) -> None:
    c = keys.client
    stale = {f"old{i}": 1000.0 + i for i in range(6)}
    c.zadd(keys.updated, stale)
    c.zadd(keys.expiry, stale)  # expired long ago
    assert keys.run("INDEX", [keys.updated, keys.expiry], ["fresh", "", 60]) == 1
    left = {m.decode() for m in c.zrange(keys.updated, 0, -1)}
    assert left == {"old4", "old5", "fresh"}  # the four oldest expiries went
    assert {m.decode() for m in c.zrange(keys.expiry, 0, -1)} == {"old4", "old5", "fresh"}
    assert keys.run("INDEX", [keys.updated, keys.expiry], ["placed", "1234.5", 0]) == 1
    assert c.zscore(keys.updated, "placed") == 1234.5 and c.zscore(keys.expiry, "placed") is None
    assert keys.run("COUNT", [keys.updated, keys.expiry], []) == 2  # fresh, placed


def test_import_outcomes(keys: Keys) -> None:
    c = keys.client
    meta, turns, _, _ = keys.of("i")
    c.rpush(turns, "stray")  # turns without meta: not a thread, replaced by the import

    def imported(replace: str, *items: str) -> Any:
        return keys.run(
            "IMPORT",
            keys.of("i"),
            ["i", 60, "1700000000.5", replace, 2, "tool_name", "chat", *items],
        )

    assert imported("0", "a", "b") == b"imported"
    assert c.lrange(turns, 0, -1) == [b"a", b"b"]
    assert c.zscore(keys.updated, "i") == 1700000000.5
    assert imported("0", "c") == b"skipped"
    assert c.lrange(turns, 0, -1) == [b"a", b"b"]
    assert imported("1", "c") == b"replaced"
    assert c.lrange(turns, 0, -1) == [b"c"] and c.hget(meta, "tool_name") == b"chat"


def test_delete_if_keeps_a_thread_written_since_it_was_listed(keys: Keys) -> None:
    c = keys.client
    keys.run("CREATE", keys.of("d"), ["d", 60, "last_updated_at", "then"])
    assert keys.run("DELETE_IF", keys.of("d"), ["d", "1", "earlier"]) == -1
    assert c.exists(keys.of("d")[0]) == 1 and c.zscore(keys.updated, "d") is not None
    keys.run("APPEND", keys.of("d"), ["d", "turn", 60, 5, "then"])
    assert keys.run("DELETE_IF", keys.of("d"), ["d", "1", "then"]) == 2  # meta and turns
    assert c.zscore(keys.updated, "d") is None and c.zscore(keys.expiry, "d") is None
    assert keys.run("DELETE_IF", keys.of("d"), ["d", "1", "then"]) == 0  # gone: nothing to keep
    c.set(keys.of("s")[0], "not a hash")
    assert keys.run("DELETE_IF", keys.of("s"), ["s", "1", ""]) == 1  # unreadable stamp: ''


def test_the_first_call_sends_the_body_once_then_only_the_sha(tmp_path: Any) -> None:
    """On a server that never saw the script: one EVAL (not EVALSHA, NOSCRIPT, SCRIPT
    LOAD, EVALSHA), then EVALSHA; a server that lost its scripts gets the body again, in
    an EVAL (NOSCRIPT: the script had not run, so sending it whole is safe)."""
    from zenconfig.storage.redis.contact import open_store

    server = servers.start(tmp_path / "fresh")
    try:
        store = open_store(spec.connection("p", {"port": server.port, "key_prefix": "s:"}), None)
        server.cli("CONFIG", "RESETSTAT")

        def calls() -> dict[str, int]:
            stats = server.cli("INFO", "commandstats")
            found = {}
            for line in stats.splitlines():
                if line.startswith("cmdstat_"):
                    name, rest = line[len("cmdstat_") :].split(":", 1)
                    found[name] = int(rest.split(",")[0].split("=")[1])
            return {k: v for k, v in found.items() if k in ("eval", "evalsha", "script|load")}

        def merge() -> Any:  # a thread that is not there: the script writes nothing
            return store.thread_merge("missing", {}, ["t"], 60, 10, after=(0, "", ""))

        assert merge() is None
        assert calls() == {"eval": 1}
        merge()
        assert calls() == {"eval": 1, "evalsha": 1}
        server.cli("SCRIPT", "FLUSH")  # as after a restart
        assert merge() is None
        assert calls()["eval"] == 2
        assert "script|load" not in calls()
        merge()
        assert calls()["eval"] == 2  # the server has it again
    finally:
        server.stop()
