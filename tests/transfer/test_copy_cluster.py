"""zen storage copy to, from and between Redis Cluster projects (a 3-master Cluster
the tests start): keys routed by slot, per-node batches, resume after SIGKILL."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from tests.storage import copying
from tests.storage.copying import count_all, fill, staged
from tests.storage.faults import cluster_project
from zenconfig import ConversationStore, open_storage

SAMPLE = [0, 1, 7, 99, 1234, 4321, 9_999, 19_999]


@pytest.fixture(scope="module")
def far_server(tmp_path_factory):
    server = servers.start(tmp_path_factory.mktemp("copy-far"))
    yield server
    server.stop()


def _cluster_client(nodes: list[servers.Server]) -> Any:
    from redis.cluster import RedisCluster

    return RedisCluster(host="127.0.0.1", port=nodes[0].port)


def _config(home: Path, prefix: str, src: servers.Server, nodes, dst: servers.Server) -> None:
    ports = [n.port for n in nodes]
    copying.write_config(
        home,
        {
            "a": {"port": src.port, "key_prefix": prefix + "a:"},
            "c": {**cluster_project(ports), "key_prefix": prefix + "c:"},
            "d": {**cluster_project(ports), "key_prefix": prefix + "d:"},
            "z": {"port": dst.port, "key_prefix": prefix + "z:"},
        },
    )


def _same(src: Any, dst: Any, a: str, b: str) -> None:
    """Values equal and TTLs within 2 s for the sampled keys."""
    for i in SAMPLE:
        assert dst.get(f"{b}k{i}") == src.get(f"{a}k{i}"), i
        ttl_a, ttl_b = src.ttl(f"{a}k{i}"), dst.ttl(f"{b}k{i}")
        assert ttl_a == ttl_b == -1 if ttl_a == -1 else abs(ttl_a - ttl_b) <= 2, i


def _threads(project: str, n: int = 30) -> list[str]:
    conversations = ConversationStore(open_storage(project))
    ids = []
    for i in range(n):
        tid = conversations.create_thread("chat", {"n": i})
        conversations.add_turn(tid, "user", f"turn {i}")
        ids.append(tid)
    return ids


def test_standalone_to_cluster_to_standalone(
    zen, home, redis_server, cluster, far_server, unique_prefix
) -> None:
    _config(home, unique_prefix, redis_server, cluster, far_server)
    fill(redis_server, unique_prefix + "a:", 20_000)
    ids = _threads("a")
    total = 20_000 + 2 * len(ids) + 2  # keys, each thread's two keys, the thread index
    r = zen("storage", "copy", "--from", "a", "--to", "c", "--json")
    assert r.code == 0, r
    report = r.json()
    # a Cluster restores on its nodes at once: auto takes DUMP/RESTORE
    assert report["method"] == "dump" and report["copied"] == total
    assert report["verified"]["ok"]
    on_cluster = _cluster_client(cluster)
    source = copying.client(redis_server)
    _same(source, on_cluster, unique_prefix + "a:", unique_prefix + "c:")
    assert count_all(cluster, f"{unique_prefix}c:*") == total
    listed = {row.thread_id for row in open_storage("c").thread_list(limit=100)}
    assert listed == set(ids)
    r = zen("storage", "copy", "--from", "c", "--to", "z", "--method", "migrate", "--json")
    assert r.code == 0, r
    assert r.json()["method"] == "migrate" and r.json()["copied"] == total, r.json()["notes"]
    assert r.json()["verified"]["ok"]
    _same(source, copying.client(far_server), unique_prefix + "a:", unique_prefix + "z:")
    back = ConversationStore(open_storage("z"))
    for tid in ids[:5]:
        thread = back.get_thread(tid)
        assert thread is not None and thread.turns[0].content.startswith("turn ")
    assert staged([redis_server, far_server, *cluster]) == 0
    on_cluster.close()


def test_migrate_to_a_cluster_and_between_cluster_projects(
    zen, home, redis_server, cluster, far_server, unique_prefix
) -> None:
    _config(home, unique_prefix, redis_server, cluster, far_server)
    fill(redis_server, unique_prefix + "a:", 3_000)
    ids = _threads("a", 10)
    r = zen("storage", "copy", "--from", "a", "--to", "c", "--method", "migrate", "--json")
    assert r.code == 0 and r.json()["verified"]["ok"], r
    assert r.json()["method"] == "migrate" and not r.json()["notes"]
    r = zen("storage", "copy", "--from", "c", "--to", "d", "--json")
    assert r.code == 0, r
    report = r.json()
    # one Cluster: COPY where the slot stays (a thread's keys keep their {id} tag),
    # DUMP/RESTORE where the new prefix moves a key to another slot
    assert report["method"] == "copy" and report["verified"]["ok"]
    assert report["ways"]["copy"] >= 2 * len(ids) and report["ways"]["dump"] > 0
    assert count_all(cluster, f"{unique_prefix}d:*") == 3_000 + 2 * len(ids) + 2
    on_cluster = _cluster_client(cluster)
    _same(copying.client(redis_server), on_cluster, unique_prefix + "a:", unique_prefix + "d:")
    assert staged([redis_server, *cluster]) == 0
    on_cluster.close()


@pytest.mark.parametrize("method", ["dump", "migrate"])
@pytest.mark.parametrize("step", ["stage", "read", "finalize"])
def test_killed_at_any_step_resumes_exactly_on_a_cluster(
    zen, home, redis_server, cluster, far_server, unique_prefix, method: str, step: str
) -> None:
    from tests.transfer.test_copy_protocol import _crash_in

    _config(home, unique_prefix, redis_server, cluster, far_server)
    fill(redis_server, unique_prefix + "a:", 25_000)  # more than 4 pages of 5,000
    for page in (1, 3):
        with _crash_in(step, page):
            zen("storage", "copy", "--from", "a", "--to", "c", "--method", method)
        assert copying.checkpoint(home, "a", "c").exists()
    r = zen("storage", "copy", "--from", "a", "--to", "c", "--method", method, "--json")
    assert r.code == 0, r
    assert (r.json()["copied"], r.json()["skipped"]) == (25_000, 0), r.json()
    assert r.json()["verified"]["ok"]
    assert count_all(cluster, f"{unique_prefix}c:*") == 25_000
    assert staged([redis_server, *cluster]) == 0


@pytest.mark.slow
def test_killed_halfway_resumes_on_a_cluster_target(
    home, redis_server, cluster, far_server, unique_prefix
) -> None:
    _config(home, unique_prefix, redis_server, cluster, far_server)
    fill(redis_server, unique_prefix + "a:", 100_000)
    proc = copying.start_copy(home, "a", "c")
    copying.wait_for(proc, lambda: count_all(cluster, f"{unique_prefix}c:k*") >= 30_000)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert copying.checkpoint(home, "a", "c").exists()
    assert count_all(cluster, f"{unique_prefix}c:k*") < 100_000
    done = copying.run_copy(home, "a", "c")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["resumed"] and report["verified"]["ok"]
    assert report["copied"] == 100_000 and report["skipped"] == 0  # nothing doubled
    assert count_all(cluster, f"{unique_prefix}c:*") == 100_000
    assert staged([redis_server, *cluster]) == 0  # nothing left in staging
    on_cluster = _cluster_client(cluster)
    _same(copying.client(redis_server), on_cluster, unique_prefix + "a:", unique_prefix + "c:")
    on_cluster.close()
