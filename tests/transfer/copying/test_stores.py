"""copying.stores: the store-contract path (threads whole, then plain keys) on real stores."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from zenconfig import open_storage, spec
from zenconfig.errors import ZenConfigError
from zenconfig.storage import local
from zenconfig.storage.base import ThreadRecord, meta_key
from zenconfig.storage.memory import MemoryStore
from zenconfig.transfer.copying import stores
from zenconfig.transfer.copying.checkpoint import Checkpoint
from zenconfig.transfer.copying.report import CopyReport
from zenconfig.transfer.copying.run import Run, new_run_id

STAMP = "2026-02-0{}T10:00:00+00:00"
SLACK = {"connect_seconds": 10, "socket_seconds": 30}  # a loaded machine is no failure


def _records(ids: range, tag: str = "") -> list[ThreadRecord]:
    found = []
    for i in ids:
        meta = {"tool_name": "chat", "created_at": STAMP.format(1 + i % 5),
                "last_updated_at": STAMP.format(1 + i % 9)}  # fmt: skip
        turns = [f'{{"role": "user", "content": "turn {i}.{j}{tag}"}}' for j in range(1 + i % 3)]
        found.append(ThreadRecord(f"t-{i}", meta, turns, 900 + i))
    return found


def _source() -> MemoryStore:
    """Five threads, two plain keys, and names that are no data of the store."""
    store = MemoryStore(name="mem")
    assert store.import_threads(_records(range(5)), False) == ["imported"] * 5
    store.set("note:ttl", "soon", 700)
    store.set("note:kept", "for ever")
    store.set("zen-copy:0123456789abcdef:.note", "another copy's staging")
    store.set("index:{threads}:complete", "1")
    return store


@pytest.fixture
def target(tmp_path: Path) -> Iterator[local.LocalStore]:
    yield local.open_store(spec.LocalSpec(path=str(tmp_path / "target" / "conv.db")))
    local.close_all()


def _run(tmp_path: Path, on_conflict: str = "skip", **state: Any) -> Run:
    fresh = {"run": new_run_id(), "path": "store", "method": "auto", "on_conflict": on_conflict,
             "phase": "scan", "position": 0, **state}  # fmt: skip
    saved = Checkpoint(tmp_path / "copy-mem-to-local.checkpoint", "mem", "local")
    return Run(CopyReport("mem", "local", "auto"), fresh, saved)


def test_threads_then_plain_keys_are_copied_and_each_batch_saved(
    tmp_path: Path, target: local.LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stores, "THREADS", 2)  # three thread batches
    monkeypatch.setattr(stores, "KEYS", 1)  # two key batches
    source, run = _source(), _run(tmp_path)
    assert sorted(stores.plain_keys(source)) == ["note:kept", "note:ttl"]
    positions: list[tuple[str, int]] = []
    real_save = run.checkpoint.save  # type: ignore[union-attr]
    run.checkpoint.save = lambda state: (  # type: ignore[method-assign,union-attr]
        positions.append((state["phase"], state["position"])),
        real_save(state),
    )
    heard: list[int] = []
    run.progress = heard.append
    stores.copy(source, target, run, False)
    report = run.report
    assert (report.method, report.threads, report.keys, report.copied) == ("store", 5, 2, 7)
    assert (report.scanned, report.skipped, report.replaced) == (7, 0, 0)
    assert heard == [2, 2, 1, 1, 1]
    # each batch is noted in flight before its writes, and its end after them
    assert [p for p in positions if p[0] == "threads"] == [
        ("threads", 0), ("threads", 2), ("threads", 2), ("threads", 4), ("threads", 4),
        ("threads", 5)]  # fmt: skip
    saved = run.checkpoint.load()  # type: ignore[union-attr]
    assert saved is not None and saved["phase"] == "done" and saved["counts"]["copied"] == 7
    for i in range(5):
        assert target.thread_read(f"t-{i}") == source.thread_read(f"t-{i}")
        assert 890 + i <= target.ttl(meta_key(f"t-{i}")) <= 900 + i
    assert target.get("note:kept") == "for ever" and target.ttl("note:kept") == -1
    assert target.get("note:ttl") == "soon" and 690 <= target.ttl("note:ttl") <= 700
    assert target.get("index:{threads}:complete") is None
    assert not any(k.startswith("zen-copy:") for k in target.scan("*"))
    verified = stores.verify(source, target, run)
    assert verified == {"ok": True, "source_keys": 7, "missing_at_target": 0, "sampled": 7,
                        "values_equal": 7, "ttls_within_5s": 7}  # fmt: skip


@pytest.mark.parametrize(
    ("inflight", "copied", "skipped"),
    [
        (None, 0, 5),  # a fresh batch: the threads were there before, kept
        ({"at": 0, "taken": []}, 5, 0),  # redone after a kill: they are the run's own
        ({"at": 0, "taken": ["t-1"]}, 4, 1),  # thread ids, as noted
        ({"at": 3, "taken": []}, 0, 5),  # noted for another batch: not this one's
    ],
    ids=["fresh", "redone", "redone-one-was-there", "other-batch"],
)
def test_a_batch_redone_after_a_kill_tells_its_own_writes_from_conflicts(
    tmp_path: Path,
    target: local.LocalStore,
    inflight: dict[str, Any] | None,
    copied: int,
    skipped: int,
) -> None:
    source = _source()
    target.import_threads(_records(range(5)), False)  # what the killed run had written
    run = _run(tmp_path, phase="threads", inflight=inflight)
    stores.copy(source, target, run, False)
    assert (run.report.threads, run.report.skipped, run.report.replaced) == (copied, skipped, 0)
    assert run.report.keys == 2 and run.report.copied == copied + 2
    assert len(run.copied.items) == copied + 2 and len(run.kept.items) == skipped
    assert target.thread_count() == 5


def test_fail_on_conflict_stops_before_writing_the_batch(
    tmp_path: Path, target: local.LocalStore
) -> None:
    target.import_threads(_records(range(3, 4), tag=" theirs"), False)
    run = _run(tmp_path, on_conflict="fail")
    with pytest.raises(ZenConfigError) as caught:
        stores.copy(_source(), target, run, False)
    assert caught.value.message == (
        "1 thread(s) or key(s) already exist in local, e.g. t-3; nothing more was copied"
    )
    assert target.thread_count() == 1 and "theirs" in target.thread_read("t-3")[1][0]
    assert run.checkpoint is not None and run.checkpoint.load() is None  # nothing to resume


@pytest.mark.parametrize(
    ("on_conflict", "counts"),
    [("skip", (5, 2, 0)), ("replace", (7, 0, 2))],
)
def test_a_dry_run_counts_what_would_happen_and_writes_nothing(
    tmp_path: Path, target: local.LocalStore, on_conflict: str, counts: tuple[int, int, int]
) -> None:
    target.import_threads(_records(range(1), tag=" theirs"), False)
    target.set("note:kept", "theirs")
    run = _run(tmp_path, on_conflict=on_conflict)
    run.checkpoint = None
    stores.copy(_source(), target, run, True)
    report = run.report
    assert (report.copied, report.skipped, report.replaced, report.scanned) == (*counts, 7)
    assert target.thread_count() == 1 and target.get("note:kept") == "theirs"
    assert target.get("note:ttl") is None and run.state["phase"] == "done"


def test_replace_overwrites_and_verify_reports_what_differs(
    tmp_path: Path, target: local.LocalStore
) -> None:
    source = _source()
    target.import_threads(_records(range(2), tag=" theirs"), False)
    target.set("note:kept", "theirs")
    run = _run(tmp_path, on_conflict="replace")
    stores.copy(source, target, run, False)
    assert (run.report.copied, run.report.replaced, run.report.skipped) == (7, 3, 0)
    assert target.thread_read("t-0") == source.thread_read("t-0")
    assert target.get("note:kept") == "for ever"
    assert stores.verify(source, target, run)["ok"]
    target.set("note:ttl", "changed behind the copy's back", 700)
    target.thread_delete("t-4")
    verified = stores.verify(source, target, run)
    assert not verified["ok"] and verified["missing_at_target"] == 1
    assert verified["values_equal"] == verified["sampled"] - 2  # the key and the lost thread


def test_skip_keeps_existing_ones_and_samples_them_as_conflicts(
    tmp_path: Path, target: local.LocalStore
) -> None:
    source = _source()
    target.set("note:kept", "theirs")
    target.set("note:ttl", "soon", 700)
    run = _run(tmp_path)
    stores.copy(source, target, run, False)
    assert (run.report.copied, run.report.skipped) == (5, 2)
    assert target.get("note:kept") == "theirs"
    verified = stores.verify(source, target, run)
    assert verified["ok"] and verified["sampled"] == 5  # kept ones are not failures
    assert run.report.conflicts == {"sampled": 2, "differing": 1}


@pytest.fixture
def redis_source(
    write_config: Callable[..., Path], redis_server: servers.Server, unique_prefix: str
) -> Iterator[Any]:
    import redis

    entry = {"port": redis_server.port, "key_prefix": unique_prefix, "timeouts": SLACK}
    write_config({"r": entry}, fallback="error")  # never a memory store in its place
    raw = redis.Redis(port=redis_server.port)
    store = open_storage("r")
    store.import_threads(_records(range(3)), False)
    store.set("note", "text", 600)
    raw.hset(unique_prefix + "a-hash", "field", "value")
    yield store, raw, unique_prefix
    raw.close()


def test_from_redis_a_key_the_local_store_cannot_hold_is_counted_not_copied(
    tmp_path: Path, target: local.LocalStore, redis_source: Any
) -> None:
    source = redis_source[0]
    assert stores.exists(source, ["note", "a-hash", "absent", meta_key("t-1")]) == [
        True, True, False, True]  # fmt: skip
    run = _run(tmp_path)
    stores.copy(source, target, run, False)
    report = run.report
    assert (report.threads, report.keys, report.unsupported) == (3, 1, 1)
    assert report.notes == ["keys that are not text are not copied to local, e.g. 'a-hash'"]
    assert target.get("note") == "text" and target.get("a-hash") is None
    verified = stores.verify(source, target, run)  # the unsupported key is not "missing"
    assert verified["ok"] and (verified["source_keys"], verified["missing_at_target"]) == (5, 0)


def test_from_redis_a_name_that_is_not_utf8_is_counted_not_copied(
    tmp_path: Path, target: local.LocalStore, redis_source: Any
) -> None:
    source, raw, prefix = redis_source
    raw.set(prefix.encode() + b"name-\xff", b"value")
    run = _run(tmp_path)
    stores.copy(source, target, run, False)
    assert run.report.unsupported == 2 and run.report.keys == 1
    assert any("name-\\udcff" in note for note in run.report.notes)
