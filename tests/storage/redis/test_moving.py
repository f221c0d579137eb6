"""storage/redis/moving.py: a project's key space node by node: the one server or every
Cluster primary, keys grouped by the node of their slot, many-key steps across nodes,
the address another server reaches, the login, literal prefixes in SCAN, errors as ours."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests import servers
from zenconfig import spec
from zenconfig.errors import ZenConfigError
from zenconfig.storage.redis.contact import open_store
from zenconfig.storage.redis.moving import KeySpace, memory_usage
from zenconfig.storage.redis.slots import keyslot


def _space(entry: dict[str, Any], password: str | None = None) -> KeySpace:
    return open_store(spec.connection("p", entry), password).keyspace()


def _cluster(nodes: list[servers.Server], prefix: str) -> KeySpace:
    seeds = [{"host": "127.0.0.1", "port": n.port} for n in nodes]
    return _space({"mode": "cluster", "nodes": seeds, "key_prefix": prefix})


def test_one_server_is_one_node(redis_server: servers.Server, unique_prefix: str) -> None:
    space = _space({"port": redis_server.port, "db": 2, "key_prefix": unique_prefix})
    [node] = space.nodes()
    assert (node.name, node.host, node.port) == (
        f"127.0.0.1:{redis_server.port}",
        "127.0.0.1",
        redis_server.port,
    )
    assert node.client is space.store.client and space.db == 2
    assert space.node_of(12345) is node and space.first_slot(node) is None
    assert space.slots_of([b"a", b"{x}b"]) == [0, 0]
    assert space.by_node([7, 9, 11]) == [(node, [0, 1, 2])] and space.by_node([]) == []
    assert space.address(node) == ("127.0.0.1", redis_server.port)  # literal: as configured
    assert space.credentials() == (None, None)


def test_a_loopback_name_is_reached_at_the_address_the_server_answers_on(
    redis_server: servers.Server, auth_server: servers.Server
) -> None:
    space = _space({"host": "localhost", "port": redis_server.port})
    assert space.address(space.nodes()[0]) == ("127.0.0.1", redis_server.port)
    alice = _space(
        {"port": auth_server.port, "username": "alice", "key_prefix": "zen:alice:"}, "alice-pw"
    )
    assert alice.credentials() == ("alice", "alice-pw")  # what MIGRATE logs in with


def test_scan_takes_the_prefix_literally_and_steps_report_errors(
    redis_server: servers.Server,
) -> None:
    base = f"zt:{uuid.uuid4().hex[:8]}:"
    space = _space({"port": redis_server.port, "key_prefix": base + "a*["})
    neighbour = _space({"port": redis_server.port, "key_prefix": base + "ab["})
    names = [space.prefix + b"k1", space.prefix + b"\xffk2", neighbour.prefix + b"k3"]
    client = space.store.client
    for name in names:
        client.set(name, b"v" * 50)
    [node] = space.nodes()
    cursor, found = 0, []
    while True:
        cursor, page = space.scan(node, cursor, 100)
        found += page
        if cursor == 0:
            break
    assert sorted(found) == sorted(names[:2])
    assert space.exists([*names, b"nothing"]) == [True, True, True, False]
    assert memory_usage(space.store, [n.decode("utf-8", "surrogateescape") for n in names[:2]]) == (
        sum(client.memory_usage(n) for n in names[:2])
    )
    replies = space.pipelined(names[:2], lambda pipe, i: pipe.lpush(names[i], "x"))
    assert all("WRONGTYPE" in str(r) for r in replies)  # refused commands come back in place
    with pytest.raises(ZenConfigError, match="Redis error for project 'p': WRONGTYPE"):
        space.ok(replies[0])
    assert space.delete(names) == 3


def test_a_cluster_is_its_primaries_and_keys_go_to_the_node_of_their_slot(
    cluster: list[servers.Server], unique_prefix: str
) -> None:
    space = _cluster(cluster, unique_prefix)
    nodes = space.nodes()
    assert [n.name for n in nodes] == sorted(f"127.0.0.1:{s.port}" for s in cluster)
    names = [space.prefix + b"{%d}k" % i for i in range(30)]
    slots = space.slots_of(names)
    assert slots == [keyslot(n) for n in names]
    groups = space.by_node(slots)
    assert sorted(i for _, positions in groups for i in positions) == list(range(30))
    assert len(groups) == 3  # thirty tags land on every primary
    for node, positions in groups:
        for i in positions:
            node.client.set(names[i], b"%d" % i, ex=600)  # a plain client: its own slots only
            assert space.node_of(slots[i]) is node
        first = space.first_slot(node)
        assert first is not None and space.node_of(first) is node
    assert space.exists(names) == [True] * 30
    dumped = space.dump([*names[:3], space.prefix + b"{gone}"])
    assert all(0 < pttl <= 600_000 and data for pttl, data in dumped[:3])
    assert dumped[3] == (-2, None)
    assert space.codes("EXISTS", slots, lambda i: [names[i]]) == "1" * 30
    assert space.delete(names) == 30 and space.exists(names) == [False] * 30
