"""zen storage copy with the local store as an endpoint (``@local``): through the
store contract, with progress, verification and resume."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.storage import copying
from zenconfig import open_storage
from zenconfig.errors import ExitCode
from zenconfig.storage.base import ThreadRecord

STAMP = "2026-01-0{}T10:00:00+00:00"


def _records(n: int) -> list[ThreadRecord]:
    records = []
    for i in range(n):
        meta = {
            "thread_id": f"t-{i}",
            "tool_name": "chat" if i % 2 else "review",
            "created_at": STAMP.format(1 + i % 5),
            "last_updated_at": STAMP.format(1 + i % 9),
        }
        if i % 3 == 0:
            meta["parent_thread_id"] = f"t-{i - 1}"
        turns = [f'{{"role": "user", "content": "тёрн {i}.{j}"}}' for j in range(1 + i % 4)]
        records.append(ThreadRecord(f"t-{i}", meta, turns, None if i % 7 == 0 else 600 + i))
    return records


def _contents(store) -> dict[str, tuple[dict[str, str], list[str], int | None]]:
    found = {}
    for batch in store.export_threads():
        for r in batch:
            found[r.thread_id] = (r.meta, r.turns, r.ttl)
    return found


def test_local_to_redis_to_local_round_trip(
    zen, home, redis_server, unique_prefix, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    project = {"r": {"port": redis_server.port, "key_prefix": unique_prefix}}
    copying.write_config(home, project, local=str(first))
    local = open_storage(local=True)
    assert local.import_threads(_records(1_200), replace=False).count("imported") == 1_200
    local.set("note:1", "hello", 500)
    local.set("note:forever", "kept")
    started = time.monotonic()
    r = zen("storage", "copy", "--from", "@local", "--to", "r", "--json")
    assert r.code == 0, r
    report = r.json()
    assert report["method"] == "store" and report["verified"]["ok"]
    assert (report["threads"], report["keys"], report["skipped"]) == (1_200, 2, 0)
    copying.write_config(home, project, local=str(second))
    r = zen("storage", "copy", "--from", "r", "--to", "@local", "--json")
    assert r.code == 0, r
    assert r.json()["verified"]["ok"] and r.json()["threads"] == 1_200
    # a life moves as whole seconds left (rounded to the nearest) and counts from when
    # each hop wrote it: it may gain the copies' own time, and half a second per hop
    slack = 1 + (time.monotonic() - started)
    back = open_storage(local=True)
    assert back is not local
    before, after = _contents(local), _contents(back)
    assert before.keys() == after.keys()
    for tid, (meta, turns, ttl) in before.items():
        meta_b, turns_b, ttl_b = after[tid]
        assert (meta_b, turns_b) == (meta, turns), tid
        assert (ttl is None and ttl_b is None) or -1 <= ttl_b - ttl <= slack, (tid, ttl, ttl_b)
    assert back.get("note:1") == "hello"
    assert -1 <= back.ttl("note:1") - local.ttl("note:1") <= slack
    assert back.get("note:forever") == "kept" and back.ttl("note:forever") == -1
    assert back.thread_count() == 1_200
    # and again: everything is there, nothing is written twice
    r = zen("storage", "copy", "--from", "r", "--to", "@local", "--json")
    assert r.code == 0 and (r.json()["copied"], r.json()["skipped"]) == (0, 1_202)


class Killed(BaseException):
    pass


@pytest.mark.parametrize("direction", ["to redis", "to local"])
def test_a_killed_store_copy_resumes_exactly(
    zen, home, redis_server, unique_prefix, tmp_path: Path, direction: str
) -> None:
    from zenconfig.storage.local_store import LocalStore
    from zenconfig.storage.redis.store import RedisStore

    project = {"r": {"port": redis_server.port, "key_prefix": unique_prefix}}
    copying.write_config(home, project, str(tmp_path / "l.db"))
    source, target = ("@local", "r") if direction == "to redis" else ("r", "@local")
    writer = open_storage(local=True) if source == "@local" else open_storage("r")
    writer.import_threads(_records(2_000), replace=False)
    victim = RedisStore if target == "r" else LocalStore
    real = victim.import_threads
    calls = {"n": 0}

    def dying(self, records, replace):
        calls["n"] += 1
        if calls["n"] < 3:
            return real(self, records, replace)
        real(self, records[: len(records) // 2], replace)
        raise Killed

    with pytest.MonkeyPatch.context() as patch, pytest.raises(Killed):
        patch.setattr(victim, "import_threads", dying)
        zen("storage", "copy", "--from", source, "--to", target)
    r = zen("storage", "copy", "--from", source, "--to", target, "--json")
    assert r.code == 0, r
    report = r.json()
    assert report["resumed"] and report["verified"]["ok"]
    assert (report["threads"], report["skipped"]) == (2_000, 0)
    landed = open_storage(local=True) if target == "@local" else open_storage("r")
    assert landed.thread_count() == 2_000


def test_local_endpoint_dry_run_and_conflicts(
    zen, home, redis_server, unique_prefix, tmp_path: Path
) -> None:
    project = {"r": {"port": redis_server.port, "key_prefix": unique_prefix}}
    copying.write_config(home, project, str(tmp_path / "l.db"))
    open_storage(local=True).import_threads(_records(20), replace=False)
    open_storage("r").import_threads(_records(1), replace=False)
    r = zen("storage", "copy", "--from", "@local", "--to", "r", "--dry-run", "--json")
    assert r.code == 0, r
    assert (r.json()["copied"], r.json()["skipped"], r.json()["dry_run"]) == (19, 1, True)
    assert open_storage("r").thread_count() == 1
    r = zen("storage", "copy", "--from", "@local", "--to", "r", "--on-conflict", "fail")
    assert r.code == ExitCode.ERROR and "1 thread(s) or key(s) already exist" in r.err
    r = zen("storage", "copy", "--from", "@local", "--to", "@local")
    assert r.code == ExitCode.USAGE and "same" in r.err


def test_the_store_contract_path_works_for_any_pair_of_stores(
    zen, home, redis_server, unique_prefix, tmp_path: Path
) -> None:
    """--method store: the path the local store takes, between two Redis projects too."""
    copying.write_config(
        home,
        {
            "a": {"port": redis_server.port, "key_prefix": unique_prefix + "a:"},
            "b": {"port": redis_server.port, "key_prefix": unique_prefix + "b:"},
        },
    )
    source = open_storage("a")
    source.import_threads(_records(30), replace=False)
    source.set("plain", "text", 300)
    r = zen("storage", "copy", "--from", "a", "--to", "b", "--method", "store", "--json")
    assert r.code == 0, r
    report = r.json()
    assert (report["method"], report["threads"], report["keys"]) == ("store", 30, 1)
    assert report["verified"]["ok"]
    target = open_storage("b")
    assert _contents(target).keys() == _contents(source).keys()
    assert target.get("plain") == "text" and target.thread_count() == 30
