"""Fault injection in Sentinel and Cluster mode, a server out of memory in all
three modes, a read-only replica: the time bound, the outcome, nothing
duplicated or lost."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from tests.storage import faults
from tests.storage.faults import (
    CONNECT,
    DECISION,
    MARGIN,
    SHAPES,
    SOCKET,
    TIMEOUTS,
    assert_fell_back,
    assert_unreachable,
    cluster_project,
    sentinel_project,
    timed,
)
from zenconfig import ConversationStore, open_storage
from zenconfig.errors import (
    StorageUnavailableError,
    WriteRefusedError,
    WriteUnknownError,
)
from zenconfig.storage.base import ThreadRecord

# -- out of memory, read-only ------------------------------------------------------------


@contextlib.contextmanager
def project_in(
    mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[dict[str, Any], list[servers.Server]]]:
    """A project entry of ``mode`` and the data servers behind it."""
    if mode == "standalone":
        server = servers.start(tmp_path / "full")
        try:
            yield {"port": server.port}, [server]
        finally:  # a failing test stops its servers too
            server.stop()
    elif mode == "sentinel":
        master = servers.start(tmp_path / "full")
        try:
            sentinel = servers.start_sentinel(tmp_path / "sentinel", master)
            try:
                yield sentinel_project([sentinel.port]), [master]
            finally:
                sentinel.stop()
        finally:
            master.stop()
    else:
        nodes = request.getfixturevalue("cluster")
        try:
            yield cluster_project([n.port for n in nodes]), nodes
        finally:
            for node in nodes:
                node.cli("CONFIG", "SET", "maxmemory", "0")


@pytest.mark.parametrize("mode", ["standalone", "sentinel", "cluster"])
def test_out_of_memory_refuses_and_leaves_nothing_half_written(
    write_config, unique_prefix, request, tmp_path: Path, mode: str
) -> None:
    with project_in(mode, request, tmp_path) as (entry, data_servers):
        write_config({"p": {**entry, "key_prefix": unique_prefix}}, default="p")
        store = open_storage()
        conversations = ConversationStore(store)
        tid = conversations.create_thread("chat")
        assert conversations.add_turn(tid, "user", "before")
        for server in data_servers:
            faults.fill_to_maxmemory(server)
        with pytest.raises(WriteRefusedError, match="out of memory"):
            conversations.add_turn(tid, "user", "refused")
        with pytest.raises(WriteRefusedError):
            conversations.create_thread("chat", thread_id="never")
        with pytest.raises(WriteRefusedError):
            store.set_with_ttl("k", 60, "v")
        with pytest.raises(WriteRefusedError):
            store.thread_merge(tid, {}, ["before", "merged"], 60, 50)
        big = ThreadRecord("big", {"tool_name": "chat", "created_at": "x"}, ["t" * 1000] * 50, 600)
        assert store.import_threads([big], replace=False) == ["refused"]
        assert store.thread_read("big") == (None, [])
        assert store.thread_read("never") == (None, [])
        thread = conversations.get_thread(tid)
        assert thread is not None and [t.content for t in thread.turns] == ["before"]
        for server in data_servers:
            server.cli("CONFIG", "SET", "maxmemory", "0")
        assert store.import_threads([big], replace=False) == ["imported"]
        assert len(store.thread_read("big")[1]) == 50
        assert {r.thread_id for r in store.thread_list(10)} == {tid, "big"}


def test_a_read_only_replica_refuses_writes(write_config, victim, tmp_path: Path) -> None:
    replica = servers.start(tmp_path / "replica", conf=f"replicaof 127.0.0.1 {victim.port}\n")
    try:
        write_config({"r": {"port": replica.port}}, default="r")
        store = open_storage()
        with pytest.raises(WriteRefusedError, match="read-only replica"):
            store.thread_create("t", {"tool_name": "chat"}, 60)
        with pytest.raises(WriteRefusedError, match="read-only replica"):
            store.set("k", "v")
    finally:
        replica.stop()


# -- Sentinel --------------------------------------------------------------------------


@contextlib.contextmanager
def dead_sentinels(name: str, watched: tuple[Any, Any]) -> Iterator[list[int]]:
    """Three Sentinel addresses that fail the way ``name`` says."""
    if name == "refused":
        yield [servers.free_port() for _ in range(3)]
    elif name == "unanswered":
        with servers.unanswering_listener() as a, servers.unanswering_listener() as b:
            yield [a, b, servers.free_port()]
    elif name == "hanging":
        with faults.hanging_listener() as a, faults.hanging_listener() as b:
            yield [a, b, a]
    elif name == "stopped":
        with faults.stopped(watched[1]):
            yield [watched[1].port] * 3
    else:
        raise AssertionError(name)


def test_sentinel_opens_within_the_bound(write_config, watched, unique_prefix) -> None:
    _, sentinel = watched
    with servers.unanswering_listener() as dead:
        project = sentinel_project([dead, servers.free_port(), sentinel.port])
        write_config({"s": {**project, "key_prefix": unique_prefix}}, default="s")
        elapsed, store = timed(open_storage)
    assert not isinstance(store, Exception) and not store.degraded, store
    assert elapsed < DECISION  # a dead Sentinel does not delay the live one
    store.set("k", "v", ttl=60)
    assert store.get("k") == "v"


@pytest.mark.parametrize("fallback", ["memory", "error"])
@pytest.mark.parametrize("kind", ["refused", "unanswered", "hanging", "stopped"])
def test_sentinel_decision_dead_sentinels(
    write_config, watched, capsys, kind: str, fallback: str
) -> None:
    with dead_sentinels(kind, watched) as ports:
        write_config({"s": sentinel_project(ports)}, default="s", fallback=fallback)
        elapsed, store = timed(open_storage)
    if fallback == "memory":
        assert_fell_back(elapsed, store, capsys.readouterr().err, "s")
    else:
        assert_unreachable(elapsed, store)


@pytest.mark.parametrize("fallback", ["memory", "error"])
@pytest.mark.parametrize("kind", ["stopped", "unknown-service"])
def test_sentinel_decision_master_gone(
    write_config, watched, capsys, kind: str, fallback: str
) -> None:
    master, sentinel = watched
    service = "nobody" if kind == "unknown-service" else "mymaster"
    write_config({"s": sentinel_project([sentinel.port], service)}, default="s", fallback=fallback)
    with faults.stopped(master) if kind == "stopped" else contextlib.nullcontext():
        elapsed, store = timed(open_storage)
    if fallback == "memory":
        assert_fell_back(elapsed, store, capsys.readouterr().err, "s")
    else:
        assert_unreachable(elapsed, store)


# -- Cluster ---------------------------------------------------------------------------


@contextlib.contextmanager
def dead_nodes(name: str, cluster: list[servers.Server]) -> Iterator[list[int]]:
    """Seed nodes that fail the way ``name`` says."""
    with contextlib.ExitStack() as stack:
        if name == "refused":
            yield [servers.free_port() for _ in range(3)]
        elif name == "unanswered":
            yield [stack.enter_context(servers.unanswering_listener()) for _ in range(2)]
        elif name == "hanging":
            yield [stack.enter_context(faults.hanging_listener()) for _ in range(3)]
        elif name == "stopped":  # all at once, shorter than cluster-node-timeout
            for node in cluster:
                stack.enter_context(faults.stopped(node))
            yield [n.port for n in cluster]
        elif name == "slow":
            proxies = [
                stack.enter_context(faults.DelayProxy(n.port, delay=3 * CONNECT)) for n in cluster
            ]
            yield [p.port for p in proxies]
        else:
            raise AssertionError(name)


@pytest.mark.slow
@pytest.mark.parametrize("fallback", ["memory", "error"])
@pytest.mark.parametrize("kind", SHAPES)
def test_cluster_decision(write_config, cluster, capsys, kind: str, fallback: str) -> None:
    with dead_nodes(kind, cluster) as ports:
        write_config({"c": cluster_project(ports)}, default="c", fallback=fallback)
        elapsed, store = timed(open_storage)
    if fallback == "memory":
        assert_fell_back(elapsed, store, capsys.readouterr().err, "c")
    else:
        assert_unreachable(elapsed, store)
        assert "RedisClusterException" not in str(store)


@pytest.mark.slow
def test_cluster_opens_past_dead_seeds(write_config, cluster, unique_prefix) -> None:
    with servers.unanswering_listener() as dead:
        ports = [servers.free_port(), dead, cluster[1].port]
        write_config({"c": {**cluster_project(ports), "key_prefix": unique_prefix}}, default="c")
        elapsed, store = timed(open_storage)
    assert not isinstance(store, Exception) and not store.degraded, store
    assert elapsed < DECISION
    conversations = ConversationStore(store)
    ids = [conversations.create_thread("chat") for _ in range(6)]
    for tid in ids:
        assert conversations.add_turn(tid, "user", "hi")
    assert sorted(t.thread_id for t in conversations.list_threads()) == sorted(ids)
    assert store.thread_count() == 6


@pytest.mark.slow
def test_cluster_node_stopped_on_an_open_store(write_config, cluster, unique_prefix) -> None:
    """A stopped master costs its own threads one socket timeout; the others carry on."""
    ports = [n.port for n in cluster]
    write_config(
        {"c": {**cluster_project(ports, TIMEOUTS), "key_prefix": unique_prefix}}, default="c"
    )
    store = open_storage()
    conversations = ConversationStore(store)
    ids = [conversations.create_thread("chat") for _ in range(12)]
    victim_node = cluster[2]
    node_of: dict[str, int] = {}
    for tid in ids:
        key = f"{unique_prefix}thread:{{{tid}}}:meta"
        node_of[tid] = next(i for i, n in enumerate(cluster) if n.cli("EXISTS", key) == "1")
    on_victim = [t for t in ids if node_of[t] == 2]
    elsewhere = [t for t in ids if node_of[t] != 2]
    assert on_victim and elsewhere
    with faults.stopped(victim_node):
        elapsed, error = timed(lambda: conversations.add_turn(on_victim[0], "user", "lost?"))
        assert isinstance(error, WriteUnknownError | StorageUnavailableError), error
        assert elapsed < SOCKET + MARGIN
        assert conversations.add_turn(elsewhere[0], "user", "fine")
    time.sleep(0.3)
    turns = conversations.get_thread(on_victim[0]).turns  # type: ignore[union-attr]
    assert [t.content for t in turns] in ([], ["lost?"])  # once at most
