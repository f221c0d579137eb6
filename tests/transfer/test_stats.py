"""``zen storage stats`` on Redis, a 3-master Cluster and the local store: exact figures
from the index, turns and bytes sampled past 1,000 threads with their error shown, exact
with ``--exact``; ``--all`` shows the healthy projects and names the unreachable one."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tests import servers
from tests.storage.backends import Backend, backend_fixture  # noqa: F401
from zenconfig.errors import ExitCode
from zenconfig.storage.base import ThreadRecord
from zenconfig.transfer.stats import estimate

NOW = time.time()


def records(n: int, start: int = 0) -> list[ThreadRecord]:
    """Thread i: (i % 5) + 1 turns, updated i minutes before NOW, an hour plus i seconds
    left, except every tenth, which never expires."""
    made = []
    for i in range(start, start + n):
        stamp = datetime.fromtimestamp(NOW - 60 * i, UTC).isoformat()
        meta = {"thread_id": f"t{i}", "tool_name": "chat", "created_at": stamp}
        meta["last_updated_at"] = stamp
        turns = [f'{{"role":"user","content":"{i}-{n}"}}' for n in range(i % 5 + 1)]
        made.append(ThreadRecord(f"t{i}", meta, turns, None if i % 10 == 0 else 3600 + i))
    return made


def truth(n: int) -> int:
    return sum(i % 5 + 1 for i in range(n))


def run(zen, b: Backend, *options: str) -> dict:
    r = zen(*b.args, "storage", "stats", "--json", *options)
    assert r.code == 0, r
    [found] = r.json()
    return found


def test_exact_figures_of_a_small_project(zen, backend: Backend) -> None:
    store = backend.store()
    store.import_threads(records(40), False)
    found = run(zen, backend)
    assert (found["threads"], found["turns"], found["turns_error"]) == (40, truth(40), 0)
    assert not found["bytes_sampled"] and found["sampled"] == 40 and found["bytes"] > 0
    assert found["no_expiry"] == 4
    assert 3600 - 5 <= found["ttl_min"] <= 3601 and 3600 + 35 <= found["ttl_max"] <= 3640
    newest = datetime.fromisoformat(found["newest_activity"]).timestamp()
    oldest = datetime.fromisoformat(found["oldest_activity"]).timestamp()
    assert abs(newest - NOW) < 1 and abs(oldest - (NOW - 39 * 60)) < 1
    assert found["index"] == "complete"
    table = zen(*backend.args, "storage", "stats")
    assert table.out.splitlines()[0].split() == [
        "PROJECT", "THREADS", "TURNS", "BYTES", "OLDEST", "NEWEST", "TTL", "MIN", "TTL", "MAX",
    ]  # fmt: skip
    assert table.out.splitlines()[1].split()[1:3] == ["40", f"{truth(40)}"]
    assert table.err == ""


@pytest.mark.slow
def test_a_large_project_is_sampled_with_its_error_and_exact_on_request(
    zen, backend: Backend
) -> None:
    store = backend.store()
    for start in range(0, 3000, 500):
        store.import_threads(records(500, start), False)
    found = run(zen, backend)
    assert found["threads"] == 3000 and found["bytes_sampled"] and found["sampled"] == 1000
    assert found["no_expiry"] == 300  # exact: from the index, not the sample
    assert 0 < found["turns_error"] < 0.1 * truth(3000)
    assert abs(found["turns"] - truth(3000)) <= found["turns_error"] * 1.5
    assert found["bytes"] > 0 and found["bytes_error"] > 0
    exact = run(zen, backend, "--exact")
    assert (exact["turns"], exact["turns_error"], exact["sampled"]) == (truth(3000), 0, 3000)
    assert not exact["bytes_sampled"]
    assert abs(exact["bytes"] - found["bytes"]) <= found["bytes_error"] * 1.5
    table = zen(*backend.args, "storage", "stats")
    turns_cell = table.out.splitlines()[1].split()[2:4]
    assert turns_cell[0].startswith("~") and turns_cell[1].startswith("±")
    assert (
        "zen: turns and bytes of " in table.err
        and "are estimated from 1,000 of 3,000 threads (95% interval); for exact figures: --exact"
        in table.err
    )


def test_the_estimate_and_its_error() -> None:
    assert estimate(30, 300, 30, 30) == (30, 0)  # everything read: exact
    total, error = estimate(1000, 1000, 1000, 100_000)  # every thread alike
    assert (total, error) == (100_000, 0)
    total, error = estimate(1500, 2500, 1000, 100_000)  # half 1, half 2
    assert total == 150_000 and 2900 < error < 3200  # 1.96 * 100000 * 0.5/sqrt(1000)


def test_stats_all_shows_the_healthy_and_names_the_unreachable_once(
    zen, write_config, redis_server: servers.Server, unique_prefix: str
) -> None:
    write_config(
        {
            "up": {"port": redis_server.port, "key_prefix": unique_prefix},
            "down": {"port": servers.free_port(), "key_prefix": unique_prefix + "d:"},
        }
    )
    r = zen("storage", "stats", "--all")
    assert r.code == ExitCode.STORAGE_UNREACHABLE
    assert [line.split()[0] for line in r.out.splitlines()] == ["PROJECT", "up"]
    assert r.err.count("zen: error: Redis for project 'down' is unreachable") == 1
    assert r.err.count("zen: error:") == 1
    r = zen("storage", "stats", "--all", "--json")
    assert r.code == ExitCode.STORAGE_UNREACHABLE
    assert [(x["project"], "error" in x) for x in r.json()] == [("up", False), ("down", True)]
