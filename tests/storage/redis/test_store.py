"""storage/redis/store.py: the key layout per mode, a prefix taken
literally by SCAN, reads of partial threads, and errors named with the project's prefix."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests import servers
from zenconfig import spec
from zenconfig.errors import ZenConfigError
from zenconfig.storage.redis.client import build_client
from zenconfig.storage.redis.contact import open_store
from zenconfig.storage.redis.store import GLOB_SPECIAL, RedisStore


@pytest.fixture
def prefix(redis_server: servers.Server) -> Iterator[str]:
    """A fresh prefix holding glob characters; its keys are removed afterwards."""
    found = f"zt:{uuid.uuid4().hex[:8]}:"
    yield found
    client = build_client(spec.connection("x", {"port": redis_server.port}), None)
    for key in client.scan_iter(match=found.translate(GLOB_SPECIAL) + "*"):
        client.delete(key)
    client.close()


def _store(server: servers.Server, prefix: str, **entry: Any) -> RedisStore:
    return open_store(
        spec.connection("p", {"port": server.port, "key_prefix": prefix, **entry}), None
    )


def test_the_prefix_is_literal_in_scan(redis_server: servers.Server, prefix: str) -> None:
    odd = prefix + "a*[b]?\\:"
    store = _store(redis_server, odd)
    assert store.glob("k*") == prefix + "a\\*\\[b\\]\\?\\\\:k*"
    store.set("k1", "mine", ttl=60)
    neighbour = _store(redis_server, prefix + "aX[b]?\\:")  # what an unescaped glob matches
    neighbour.set("k2", "not mine", ttl=60)
    assert list(store.scan("*")) == ["k1"]
    assert list(store.scan("k?")) == ["k1"]
    assert sorted(_store(redis_server, prefix).scan("a*")) == ["a*[b]?\\:k1", "aX[b]?\\:k2"]


def test_thread_keys_hold_the_index_outside_cluster_only(redis_server: servers.Server) -> None:
    store = _store(redis_server, "zt:lay:")
    assert store.thread_keys("t1") == [
        "zt:lay:thread:{t1}:meta",
        "zt:lay:thread:{t1}:turns",
        "zt:lay:index:{threads}:by-update",
        "zt:lay:index:{threads}:by-expiry",
    ]
    cluster = spec.connection(
        "c", {"mode": "cluster", "nodes": [{"host": "127.0.0.1", "port": 1}], "key_prefix": "c:"}
    )
    # a Cluster script may touch one slot: the thread's keys only (no server needed for the names)
    assert RedisStore(None, cluster).thread_keys("t1") == [
        "c:thread:{t1}:meta",
        "c:thread:{t1}:turns",
    ]


def test_reads_of_partial_threads_and_deletes_count(
    redis_server: servers.Server, prefix: str
) -> None:
    store = _store(redis_server, prefix)
    assert store.thread_read("nothing") == (None, [])
    redis_server.cli("RPUSH", f"{prefix}thread:{{orphan}}:turns", "left", "behind")
    assert store.thread_read("orphan") == (None, ["left", "behind"])  # turns without meta
    assert store.thread_create("t", {"tool_name": "chat"}, 60)
    assert store.thread_read("t") == ({"tool_name": "chat"}, [])
    store.set("a", "1", ttl=60)
    store.set("b", "2", ttl=60)
    assert store.delete() == 0
    assert store.delete("a", "b", "missing") == 2
    assert store.thread_delete("t") and not store.thread_delete("t")


def test_a_thread_is_read_in_one_pipeline_without_a_script(tmp_path: Any) -> None:
    """HGETALL then LRANGE, pipelined: one round trip; no script copies the turns through
    Lua, and no MULTI, which a server out of memory refuses even for reads
    (tests/storage/test_faults_modes.py)."""
    server = servers.start(tmp_path / "fresh")
    try:
        store = _store(server, "r:")
        store.thread_merge("t", {"tool_name": "чат"}, ["one", "two\udcff"], 60, 10)
        server.cli("CONFIG", "RESETSTAT")
        for _ in range(2):
            meta, turns = store.thread_read("t")
            assert (meta, turns) == ({"thread_id": "t", "tool_name": "чат"}, ["one", "two\udcff"])
        stats = server.cli("INFO", "commandstats")
        calls = {
            line.split(":")[0][len("cmdstat_") :]: int(line.split("calls=")[1].split(",")[0])
            for line in stats.splitlines()
            if line.startswith("cmdstat_") and "config" not in line
        }
        assert calls == {"hgetall": 2, "lrange": 2}
    finally:
        server.stop()


def test_errors_name_the_project_and_its_prefix(auth_server: servers.Server) -> None:
    conn = spec.connection(
        "p", {"port": auth_server.port, "username": "alice", "key_prefix": "zen:bob:"}
    )
    store = open_store(conn, "alice-pw")
    for call in (lambda: store.get("k"), lambda: store.set("k", "v", ttl=60)):
        with pytest.raises(ZenConfigError) as caught:
            call()
        assert caught.value.message.startswith(
            "the Redis ACL denies project 'p' (prefix 'zen:bob:'): "
        )
        assert caught.value.where == f"127.0.0.1:{auth_server.port}/0"
