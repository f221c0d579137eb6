"""storage/redis/mover.py: the method chosen for a pair of projects, the source walk that
skips private names, and a page's whole path between two servers (MIGRATE and DUMP/
RESTORE): staging names, renames with receipts, a killed page recovered, comparison."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests import servers
from zenconfig import spec
from zenconfig.errors import ExitCode, UsageError
from zenconfig.storage.base import INDEX_MARKER, INDEX_PROBE, INDEX_UPDATED
from zenconfig.storage.redis.client import build_client
from zenconfig.storage.redis.contact import open_store
from zenconfig.storage.redis.mover import STAGING, Mover, choose
from zenconfig.storage.redis.moving import KeySpace
from zenconfig.storage.redis.store import RedisStore
from zenconfig.storage.redis.upkeep import CHECKPOINT

Make = Callable[..., KeySpace]


@pytest.fixture
def space() -> Iterator[Make]:
    """space(server, prefix, **entry): a project's key space; its keys go afterwards."""
    made: list[KeySpace] = []

    def make(server: servers.Server, prefix: str, **entry: Any) -> KeySpace:
        conn = spec.connection(
            f"p{len(made)}", {"port": server.port, "key_prefix": prefix, **entry}
        )
        found = open_store(conn, None).keyspace()
        made.append(found)
        return found

    yield make
    for found in made:
        client = found.store.client
        names = list(client.scan_iter(match=found.prefix + b"*"))
        if names:
            client.delete(*names)


@pytest.fixture
def tag() -> str:
    return f"zt:{uuid.uuid4().hex[:8]}:"


def _fill(source: KeySpace, n: int) -> list[bytes]:
    names = [source.prefix + b"k%d" % i for i in range(n)]
    for i, name in enumerate(names):
        source.store.client.set(name, b"value-%d" % i, ex=600 if i % 2 else None)
    return names


def _walk(mover: Mover) -> list[bytes]:
    at: dict[str, Any] | None = None
    keys: list[bytes] = []
    while True:
        at, page = mover.scan(at, 3)
        keys += page
        if at is None:
            return keys


def test_the_method_for_each_pair(
    redis_server: servers.Server, victim: servers.Server, space: Make, tag: str
) -> None:
    a = space(redis_server, tag + "a:")
    with pytest.raises(UsageError) as same:
        choose(a, space(redis_server, tag + "a:"), "auto")
    assert same.value.exit_code == ExitCode.USAGE
    assert same.value.message == (
        "'p0' and 'p1' are the same keys (one server, database and key prefix): nothing to copy"
    )
    assert choose(a, space(redis_server, tag + "b:"), "auto") == ("copy", None)
    assert choose(a, space(redis_server, tag + "a:", db=3), "auto") == ("copy", 3)
    with pytest.raises(UsageError, match="on one server: MIGRATE to itself") as itself:
        choose(a, space(redis_server, tag + "b:"), "migrate")
    assert itself.value.hint == "use --method copy (or auto)"
    other = space(victim, tag + "a:")
    assert choose(a, other, "auto") == ("dump", None)
    assert choose(a, other, "migrate") == ("migrate", None)
    with pytest.raises(UsageError, match="--method copy needs both projects on one server"):
        choose(a, other, "copy")
    tls = spec.connection("t", {"port": servers.free_port(), "tls": {"enabled": True}})
    secure = KeySpace(RedisStore(build_client(tls, None), tls))  # never connected: names only
    with pytest.raises(UsageError) as plain:
        choose(a, secure, "migrate")
    assert plain.value.message == (
        "MIGRATE would send the data between servers without TLS (t uses TLS)"
    )
    assert choose(a, secure, "dump") == ("dump", None)


def test_the_source_walk_skips_what_a_copy_never_carries(
    redis_server: servers.Server, victim: servers.Server, space: Make, tag: str
) -> None:
    source = space(redis_server, tag)
    names = _fill(source, 5)
    private = [STAGING + b"run:.k0", *(n.encode() for n in (INDEX_MARKER, INDEX_PROBE, CHECKPOINT))]
    for rel in [*private, INDEX_UPDATED.encode()]:
        source.store.client.set(source.prefix + rel, b"x")
    mover = source.mover(space(victim, tag), "r1", "auto")
    assert sorted(_walk(mover)) == sorted([*names, source.prefix + INDEX_UPDATED.encode()])
    mover.scan({"nodes": ["elsewhere:1"], "node": 0, "cursor": 99}, 3)
    assert mover.notes == [
        "the source's servers changed since the interruption: scanned again from the start"
    ]


@pytest.mark.parametrize("method", ["migrate", "dump"])
def test_a_page_between_two_servers(
    redis_server: servers.Server, victim: servers.Server, space: Make, tag: str, method: str
) -> None:
    source, target = space(redis_server, tag + "src:"), space(victim, tag + "dst:")
    names = _fill(source, 6)
    target.store.client.set(target.prefix + b"k5", b"theirs")  # a final name already taken
    mover = source.mover(target, "run1", method)
    assert mover.method == method
    items = mover.plan(names)
    base = target.prefix + b"zen-copy:run1:"
    assert [i.stage for i in items] == [base + b".k%d" % i for i in range(6)]
    assert [i.final for i in items] == [target.prefix + b"k%d" % i for i in range(6)]
    source.store.client.delete(names[0])  # gone since the scan
    staged = mover.stage(items, mover.read(items))
    assert [i.src for i in staged] == names[1:] and mover.ways == {method: 5}
    assert mover.leftovers(on_source=True) == []  # nothing staged stays on the source
    assert mover.taken(items) == [False] * 5 + [True]
    outcome = mover.finalize(staged, replace=False, page=1)
    assert [i.final for i in outcome.copied] == [target.prefix + b"k%d" % i for i in range(1, 5)]
    assert [i.final for i in outcome.kept] == [target.prefix + b"k5"]
    assert mover.leftovers() == [[base + b"!1"]]  # only the page's receipt
    assert victim.cli("GET", (base + b"!1").decode()) == "4 1 0 0"
    mover.done()
    assert mover.leftovers() == []
    compared = mover.compare([(i.src, i.final) for i in staged])
    assert [same for same, _, _ in compared] == [True] * 4 + [False]
    for _, a, b in compared[:4]:  # the TTL came along (or its absence)
        assert (a == -1) == (b == -1) and abs(a - b) < 5000
    assert source.exists(names[1:]) == [True] * 5  # the source keeps its keys


def test_a_killed_page_is_recovered_from_receipts(
    redis_server: servers.Server, victim: servers.Server, space: Make, tag: str
) -> None:
    source, target = space(redis_server, tag + "src:"), space(victim, tag + "dst:")
    names = _fill(source, 4)
    first = source.mover(target, "run2", "dump")
    staged = first.stage(first.plan(names))
    first.finalize(staged[:2], replace=False, page=7)  # then the process died
    again = source.mover(target, "run2", "dump")
    outcome = again.recover(replace=False, page=7)
    assert outcome.counted == (2, 0, 0, 0)  # what the killed run's renames did
    assert sorted(i.final for i in outcome.copied) == [target.prefix + b"k2", target.prefix + b"k3"]
    assert again.leftovers() == []
    assert target.exists([target.prefix + b"k%d" % i for i in range(4)]) == [True] * 4


def test_compare_tells_equal_data_from_its_layout(
    redis_server: servers.Server, space: Make, tag: str
) -> None:
    """A hash or set kept as a hash table dumps in the table's order, which a copy
    rebuilds: equal data, other DUMP bytes. (A zen thread's meta is such a hash.)"""
    source, target = space(redis_server, tag + "src:"), space(redis_server, tag + "dst:")
    c = source.store.client
    fields = {f"field{i}": "v" * (100 if i == 0 else 5) for i in range(8)}
    values: dict[bytes, Callable[[bytes], Any]] = {
        b"hash": lambda k: c.hset(k, mapping=fields),
        b"set": lambda k: c.sadd(k, *[f"member-{i}-" + "m" * 70 for i in range(20)]),
        b"zset": lambda k: c.zadd(k, {f"z{i}": i / 3 for i in range(5)}),
        b"text": lambda k: c.set(k, "x"),
    }
    pairs = []
    for name, fill in values.items():
        fill(source.prefix + name)
        c.copy(source.prefix + name, target.prefix + name)
        pairs.append((source.prefix + name, target.prefix + name))
    dumped = source.dump([s for s, _ in pairs]), target.dump([t for _, t in pairs])
    assert dumped[0][0][1] != dumped[1][0][1]  # the hash: same data, other bytes
    mover = source.mover(target, "cmp", "copy")
    assert [same for same, _, _ in mover.compare(pairs)] == [True] * 4
    c.hset(target.prefix + b"hash", "field3", "changed")
    c.srem(target.prefix + b"set", "member-0-" + "m" * 70)
    c.set(target.prefix + b"text", "y")
    assert [same for same, _, _ in mover.compare(pairs)] == [False, False, True, False]
