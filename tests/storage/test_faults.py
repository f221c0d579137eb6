"""Fault injection against real servers: every failure shape, every mode.

Shapes: a refused port, an unanswered SYN (full backlog), a listener that
accepts and never answers, a SIGSTOPped server, a slow server (a proxy that
holds replies), a server out of memory. Each test asserts the time bound, the
outcome (fallback, error, stored / refused / unknown) and that nothing was
duplicated or lost.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from zenconfig import ConversationStore, open_storage
from zenconfig import runtime as factory
from zenconfig.errors import (
    ExitCode,
    StorageUnavailableError,
    WriteRefusedError,
    WriteUnknownError,
)
from zenconfig.storage import redis as redis_backend
from zenconfig.storage.base import THREAD_FULL, ThreadRecord

CONNECT = 1.0  # connect timeout of the projects below
SOCKET = 1.5  # socket timeout of the projects below
MARGIN = 0.5  # a loaded 2-core machine
DECISION = 1.2 * CONNECT + MARGIN  # the design's bound on the fallback decision
TIMEOUTS = {"connect_seconds": CONNECT, "socket_seconds": SOCKET}
OPENING = {"connect_seconds": CONNECT}  # the socket timeout stays 5 s: it must not count


@pytest.fixture(scope="module")
def victim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    """A server of this module's own, stopped and slowed by the tests."""
    server = servers.start(tmp_path_factory.mktemp("victim"))
    yield server
    server.stop()


@contextlib.contextmanager
def shape(name: str, victim: servers.Server) -> Iterator[int]:
    """A loopback port that fails the way ``name`` says."""
    if name == "refused":
        yield servers.free_port()
    elif name == "unanswered":
        with servers.unanswering_listener() as port:
            yield port
    elif name == "hanging":
        with servers.hanging_listener() as port:
            yield port
    elif name == "stopped":
        with servers.stopped(victim):
            yield victim.port
    elif name == "slow":
        with servers.DelayProxy(victim.port, delay=3 * CONNECT) as proxy:
            yield proxy.port
    else:
        raise AssertionError(name)


SHAPES = ["refused", "unanswered", "hanging", "stopped", "slow"]


def fresh() -> None:
    factory.reset()
    redis_backend.close_all()


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.monotonic()
    try:
        result: Any = fn()
    except Exception as e:  # the outcome is asserted by the caller
        result = e
    return time.monotonic() - started, result


def assert_fell_back(elapsed: float, store: Any, err: str, name: str) -> None:
    assert not isinstance(store, Exception), store
    assert store.degraded and store.name == f"degraded:{name}"
    assert elapsed < DECISION, f"fallback decision took {elapsed:.2f}s"
    assert err.count("zen: warning: ") == 1
    assert f"zen: warning: Redis for project '{name}' is unreachable" in err


def assert_unreachable(elapsed: float, error: Any) -> None:
    assert isinstance(error, StorageUnavailableError), error
    assert error.exit_code == ExitCode.STORAGE_UNREACHABLE
    assert elapsed < DECISION, f"the error took {elapsed:.2f}s"


# -- standalone: the fallback decision --------------------------------------------


@pytest.mark.parametrize("fallback", ["memory", "error"])
@pytest.mark.parametrize("kind", SHAPES)
def test_standalone_decision(write_config, victim, capsys, kind: str, fallback: str) -> None:
    with shape(kind, victim) as port:
        write_config({"p": {"port": port, "timeouts": OPENING}}, default="p", fallback=fallback)
        elapsed, store = timed(open_storage)
    if fallback == "memory":
        assert_fell_back(elapsed, store, capsys.readouterr().err, "p")
    else:
        assert_unreachable(elapsed, store)
        assert "is unreachable" in str(store)


def test_slow_but_within_the_timeout_opens(write_config, victim) -> None:
    with servers.DelayProxy(victim.port, delay=CONNECT / 10) as proxy:
        write_config({"p": {"port": proxy.port, "timeouts": TIMEOUTS}}, default="p")
        store = open_storage()
        assert not store.degraded
        store.set_with_ttl("k", 60, "v")
        assert store.get("k") == "v"


def test_unavailable_password_source_follows_the_policy(write_config, victim, capsys) -> None:
    command = {"source": "command", "command": ["/bin/false"]}
    write_config({"p": {"port": victim.port, "password": command}}, default="p")
    assert open_storage().degraded
    assert capsys.readouterr().err.count("zen: warning: ") == 1


# -- standalone: an open store that stalls ------------------------------------------


@pytest.fixture
def slow_store(write_config, victim, unique_prefix) -> Iterator[tuple[Any, servers.DelayProxy]]:
    with servers.DelayProxy(victim.port) as proxy:
        write_config(
            {
                "p": {
                    "port": proxy.port,
                    "key_prefix": unique_prefix,
                    "timeouts": TIMEOUTS,
                    "max_turns": 1000,
                }
            },
            default="p",
        )
        store = open_storage()
        assert not store.degraded
        yield store, proxy
        proxy.delay = 0
        fresh()
    for key in victim.cli("--scan", "--pattern", unique_prefix + "*").split():
        victim.cli("DEL", key)


def test_a_stall_costs_one_socket_timeout(slow_store) -> None:
    store, proxy = slow_store
    conversations = ConversationStore(store)
    tid = conversations.create_thread("chat")
    assert conversations.add_turn(tid, "user", "hello")
    proxy.delay = 3 * SOCKET
    for call in (
        lambda: store.get("k"),
        lambda: conversations.get_thread(tid),
        lambda: list(store.scan("*")),
        lambda: store.thread_list(10),
    ):
        elapsed, error = timed(call)
        assert isinstance(error, StorageUnavailableError), error
        assert elapsed < SOCKET + MARGIN, f"{elapsed:.2f}s: more than one socket timeout"


def test_a_write_without_an_answer_is_unknown_and_never_repeated(slow_store, victim) -> None:
    store, proxy = slow_store
    conversations = ConversationStore(store)
    tid = conversations.create_thread("chat")
    assert conversations.add_turn(tid, "user", "first")
    proxy.delay = 3 * SOCKET
    elapsed, error = timed(lambda: conversations.add_turn(tid, "user", "once"))
    assert isinstance(error, WriteUnknownError), error
    assert error.exit_code == ExitCode.STORAGE_UNREACHABLE
    assert elapsed < SOCKET + MARGIN
    elapsed, error = timed(lambda: conversations.create_thread("chat", thread_id="fresh-1"))
    assert isinstance(error, WriteUnknownError), error
    proxy.delay = 0
    time.sleep(3 * SOCKET)  # the held replies drain
    thread = conversations.get_thread(tid)
    assert thread is not None and [t.content for t in thread.turns] == ["first", "once"]
    existed = store.thread_read("fresh-1")[0] is not None  # unknown: either is possible
    assert store.thread_create("fresh-1", {"tool_name": "chat"}, 60) is not existed
    assert [r.thread_id for r in store.thread_list(10)].count("fresh-1") == 1


@pytest.mark.slow
def test_200_appends_through_a_slow_server(slow_store) -> None:
    """Every acknowledged turn present exactly once; unknown ones at most once."""
    store, proxy = slow_store
    conversations = ConversationStore(store)
    tid = conversations.create_thread("chat")
    acked, unknown = [], []
    for i in range(200):
        proxy.delay = 2 * SOCKET if i % 25 == 7 else (0.02 if i % 3 == 0 else 0)
        try:
            assert conversations.add_turn(tid, "user", f"turn {i}")
            acked.append(f"turn {i}")
        except WriteUnknownError:
            unknown.append(f"turn {i}")
        except StorageUnavailableError:
            pass  # not sent: the next call reconnects
    proxy.delay = 0
    time.sleep(2 * SOCKET)
    thread = conversations.get_thread(tid)
    assert thread is not None
    stored = [t.content for t in thread.turns]
    assert len(stored) == len(set(stored))  # nothing doubled
    assert set(acked) <= set(stored)  # nothing acknowledged lost
    assert set(stored) <= set(acked) | set(unknown)  # nothing from nowhere
    assert unknown, "the slow replies should have made some outcomes unknown"


def test_a_stopped_server_costs_one_socket_timeout(write_config, victim, unique_prefix) -> None:
    write_config(
        {"p": {"port": victim.port, "key_prefix": unique_prefix, "timeouts": TIMEOUTS}},
        default="p",
    )
    conversations = ConversationStore(open_storage())
    tid = conversations.create_thread("chat")
    with servers.stopped(victim):
        elapsed, error = timed(lambda: conversations.add_turn(tid, "user", "during stop"))
        assert isinstance(error, WriteUnknownError), error
        assert elapsed < SOCKET + MARGIN
        elapsed, error = timed(lambda: conversations.get_thread(tid))
        assert isinstance(error, StorageUnavailableError), error
        assert elapsed < SOCKET + MARGIN
    time.sleep(0.2)
    thread = conversations.get_thread(tid)
    assert thread is not None and [t.content for t in thread.turns] == ["during stop"]


# -- out of memory, read-only ------------------------------------------------------------


@pytest.fixture
def full_server(tmp_path: Path) -> Iterator[servers.Server]:
    server = servers.start(tmp_path / "full")
    yield server
    server.stop()


@contextlib.contextmanager
def project_in(
    mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[dict[str, Any], list[servers.Server]]]:
    """A project entry of ``mode`` and the data servers behind it."""
    if mode == "standalone":
        server = servers.start(tmp_path / "full")
        yield {"port": server.port}, [server]
        server.stop()
    elif mode == "sentinel":
        master = servers.start(tmp_path / "full")
        sentinel = servers.start_sentinel(tmp_path / "sentinel", master)
        yield sentinel_project([sentinel.port]), [master]
        sentinel.stop()
        master.stop()
    else:
        nodes = request.getfixturevalue("cluster")
        yield cluster_project([n.port for n in nodes]), nodes
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
            servers.fill_to_maxmemory(server)
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


def test_refused_append_returns_full_not_an_error(write_config, victim, unique_prefix) -> None:
    write_config(
        {"p": {"port": victim.port, "key_prefix": unique_prefix, "max_turns": 1}}, default="p"
    )
    store = open_storage()
    store.thread_create("t", {"tool_name": "chat"}, 60)
    assert store.thread_append("t", "a", "now", 60, 1) == 1
    assert store.thread_append("t", "b", "now", 60, 1) == THREAD_FULL


# -- Sentinel --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """A master of its own and a Sentinel watching it."""
    base = tmp_path_factory.mktemp("watched")
    master = servers.start(base / "master")
    sentinel = servers.start_sentinel(base / "sentinel", master)
    yield master, sentinel
    sentinel.stop()
    master.stop()


def sentinel_project(ports: list[int], service: str = "mymaster") -> dict[str, Any]:
    return {
        "mode": "sentinel",
        "service_name": service,
        "sentinels": [{"host": "127.0.0.1", "port": p} for p in ports],
        "timeouts": OPENING,
    }


@contextlib.contextmanager
def dead_sentinels(name: str, watched: tuple[Any, Any]) -> Iterator[list[int]]:
    """Three Sentinel addresses that fail the way ``name`` says."""
    if name == "refused":
        yield [servers.free_port() for _ in range(3)]
    elif name == "unanswered":
        with servers.unanswering_listener() as a, servers.unanswering_listener() as b:
            yield [a, b, servers.free_port()]
    elif name == "hanging":
        with servers.hanging_listener() as a, servers.hanging_listener() as b:
            yield [a, b, a]
    elif name == "stopped":
        with servers.stopped(watched[1]):
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
    with servers.stopped(master) if kind == "stopped" else contextlib.nullcontext():
        elapsed, store = timed(open_storage)
    if fallback == "memory":
        assert_fell_back(elapsed, store, capsys.readouterr().err, "s")
    else:
        assert_unreachable(elapsed, store)


# -- Cluster ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[servers.Server]]:
    nodes = servers.start_cluster(tmp_path_factory.mktemp("faults-cluster"))
    yield nodes
    for node in nodes:
        node.stop()


def cluster_project(ports: list[int], timeouts: dict[str, float] = OPENING) -> dict[str, Any]:
    return {
        "mode": "cluster",
        "nodes": [{"host": "127.0.0.1", "port": p} for p in ports],
        "timeouts": timeouts,
    }


@contextlib.contextmanager
def dead_nodes(name: str, cluster: list[servers.Server]) -> Iterator[list[int]]:
    """Seed nodes that fail the way ``name`` says."""
    with contextlib.ExitStack() as stack:
        if name == "refused":
            yield [servers.free_port() for _ in range(3)]
        elif name == "unanswered":
            yield [stack.enter_context(servers.unanswering_listener()) for _ in range(2)]
        elif name == "hanging":
            yield [stack.enter_context(servers.hanging_listener()) for _ in range(3)]
        elif name == "stopped":  # all at once, shorter than cluster-node-timeout
            for node in cluster:
                stack.enter_context(servers.stopped(node))
            yield [n.port for n in cluster]
        elif name == "slow":
            proxies = [
                stack.enter_context(servers.DelayProxy(n.port, delay=3 * CONNECT)) for n in cluster
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
    with servers.stopped(victim_node):
        elapsed, error = timed(lambda: conversations.add_turn(on_victim[0], "user", "lost?"))
        assert isinstance(error, WriteUnknownError | StorageUnavailableError), error
        assert elapsed < SOCKET + MARGIN
        assert conversations.add_turn(elsewhere[0], "user", "fine")
    time.sleep(0.3)
    turns = conversations.get_thread(on_victim[0]).turns  # type: ignore[union-attr]
    assert [t.content for t in turns] in ([], ["lost?"])  # once at most
