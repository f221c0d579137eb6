"""Sentinel (following a failover) and a three-master Cluster, round-tripping
conversations through open_storage."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import servers
from zenconfig import ConversationStore, open_storage
from zenconfig import runtime as factory
from zenconfig.storage import redis as redis_backend

pytestmark = pytest.mark.slow


def test_cluster_round_trip(write_config, cluster, unique_prefix) -> None:
    write_config(
        {
            "c": {
                "mode": "cluster",
                "key_prefix": unique_prefix,
                "nodes": [{"host": "127.0.0.1", "port": n.port} for n in cluster],
            }
        },
        default="c",
    )
    conversations = ConversationStore(open_storage())
    ids = [conversations.create_thread("chat", {"n": i}) for i in range(12)]
    for tid in ids:
        assert conversations.add_turn(tid, "user", f"hello {tid}")
        assert conversations.add_turn(tid, "assistant", "hi", model_name="m")
    for i, tid in enumerate(ids):
        thread = conversations.get_thread(tid)
        assert thread is not None and thread.initial_context == {"n": i}
        assert [t.role for t in thread.turns] == ["user", "assistant"]
    assert sorted(t.thread_id for t in conversations.list_threads()) == sorted(ids)
    slots = {
        cluster[0].cli("CLUSTER", "KEYSLOT", unique_prefix + f"thread:{{{t}}}:meta") for t in ids
    }
    assert len(slots) > 1  # threads spread over the cluster...
    tid = ids[0]
    meta = cluster[0].cli("CLUSTER", "KEYSLOT", unique_prefix + f"thread:{{{tid}}}:meta")
    turns = cluster[0].cli("CLUSTER", "KEYSLOT", unique_prefix + f"thread:{{{tid}}}:turns")
    assert meta == turns  # ...but one thread's keys share a slot


def _master_port(sentinel: servers.Server) -> int:
    lines = sentinel.cli("SENTINEL", "MASTER", "mymaster").splitlines()
    return int(dict(zip(lines[::2], lines[1::2], strict=False))["port"])


@pytest.fixture
def sentinel_setup(
    tmp_path: Path,
) -> Iterator[tuple[servers.Server, servers.Server, servers.Server]]:
    master = servers.start(tmp_path / "master")
    replica = servers.start(tmp_path / "replica", conf=f"replicaof 127.0.0.1 {master.port}\n")
    deadline = time.monotonic() + 20
    while "master_link_status:up" not in replica.cli("INFO", "replication"):
        assert time.monotonic() < deadline, "replica did not sync"
        time.sleep(0.1)
    sentinel = servers.start_sentinel(tmp_path / "sentinel", master)
    yield master, replica, sentinel
    for server in (sentinel, replica, master):
        server.stop()


def test_sentinel_round_trip_and_failover(write_config, sentinel_setup, unique_prefix) -> None:
    _master, replica, sentinel = sentinel_setup
    write_config(
        {
            "s": {
                "mode": "sentinel",
                "service_name": "mymaster",
                "key_prefix": unique_prefix,
                "sentinels": [{"host": "127.0.0.1", "port": sentinel.port}],
            }
        },
        default="s",
    )
    conversations = ConversationStore(open_storage())
    tid = conversations.create_thread("chat")
    assert conversations.add_turn(tid, "user", "before failover")
    deadline = time.monotonic() + 60
    while sentinel.cli("SENTINEL", "FAILOVER", "mymaster") != "OK":  # NOGOODSLAVE until the
        assert time.monotonic() < deadline, (
            "sentinel never accepted the failover"
        )  # replica is known
        time.sleep(0.5)
    while _master_port(sentinel) != replica.port:  # switched, as clients will see it
        assert time.monotonic() < deadline, "failover did not complete"
        time.sleep(0.2)
    factory.reset()
    redis_backend.close_all()
    after = ConversationStore(open_storage())
    assert after.add_turn(tid, "assistant", "after failover")
    thread = after.get_thread(tid)
    assert thread is not None
    assert [t.content for t in thread.turns] == ["before failover", "after failover"]
    assert replica.cli("LLEN", unique_prefix + f"thread:{{{tid}}}:turns") == "2"


def test_test_connection_through_a_sentinel(zen, write_config, tmp_path: Path) -> None:
    master = servers.start(tmp_path / "m")
    sentinel = servers.start_sentinel(tmp_path / "s", master)
    try:
        write_config(
            {
                "s": {
                    "mode": "sentinel",
                    "service_name": "mymaster",
                    "sentinels": [{"host": "127.0.0.1", "port": sentinel.port}],
                },
                "lost": {
                    "mode": "sentinel",
                    "service_name": "nobody",
                    "db": 1,
                    "sentinels": [{"host": "127.0.0.1", "port": sentinel.port}],
                },
            }
        )
        ok = zen("config", "test-connection", "s", "--json")
        assert ok.code == 0, ok
        resolve = next(s for s in ok.json()[0]["stages"] if s["name"] == "resolve")
        assert resolve["detail"] == f"127.0.0.1:{master.port}"
        lost = zen("config", "test-connection", "lost", "--json")
        assert lost.code == 4
        failed = lost.json()[0]["stages"][-1]
        assert (failed["name"], failed["ok"]) == ("resolve", False)
        assert "no Sentinel knows a master for 'nobody'" in failed["detail"]
    finally:
        sentinel.stop()
        master.stop()


def test_cluster_thread_index(write_config, cluster, unique_prefix) -> None:
    """Cluster: the index lives in its own slot, updated right after each thread's
    script; listing skips entries of threads that are gone; reindex repairs."""
    from zenconfig.storage.base import INDEX_UPDATED, meta_key, turns_key

    write_config(
        {
            "c": {
                "mode": "cluster",
                "key_prefix": unique_prefix,
                "nodes": [{"host": "127.0.0.1", "port": n.port} for n in cluster],
            }
        },
        default="c",
    )
    store = open_storage()
    conversations = ConversationStore(store)
    ids = [conversations.create_thread("chat" if i % 2 else "review") for i in range(8)]
    for tid in ids:
        conversations.add_turn(tid, "user", "hi")
    listed = [t.thread_id for t in conversations.list_threads(limit=100)]
    assert listed == ids[::-1]  # newest first
    assert [t.thread_id for t in conversations.list_threads(limit=3, tool="chat")] == [
        ids[7],
        ids[5],
        ids[3],
    ]
    store.delete(meta_key(ids[0]), turns_key(ids[0]))  # behind the store's back: stale entry
    store.client.zrem(unique_prefix + INDEX_UPDATED, ids[1])  # a lost index update
    listed = [t.thread_id for t in conversations.list_threads(limit=100)]
    assert ids[0] not in listed and ids[1] not in listed
    assert store.thread_reindex() == 7
    assert sorted(t.thread_id for t in conversations.list_threads(limit=100)) == sorted(ids[1:])
    assert store.thread_count() == 7
    assert conversations.delete_thread(ids[2])
    assert store.thread_count() == 6
