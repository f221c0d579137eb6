"""The local store: the shared contract, the v2 operations, expiry, and its file."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.storage.test_contract import StoreContract
from zenconfig import spec
from zenconfig.storage import local
from zenconfig.storage.base import ThreadRecord, meta_key, turns_key


def thread(store, tool: str = "chat", ttl: int = 100, turns: int = 0) -> str:
    tid = uuid.uuid4().hex
    meta = {"thread_id": tid, "tool_name": tool, "created_at": "c", "last_updated_at": "c"}
    assert store.thread_create(tid, meta, ttl)
    for i in range(turns):
        assert store.thread_append(tid, f"t{i}", f"u{i}", ttl, 50) == i + 1
    return tid


class StoreContractV2:
    """Store protocol v2, backend-neutral: merge, the index, batches, ``set``.
    (To be folded into ``StoreContract`` once every store implements v2.)"""

    def test_set_without_ttl_keeps_the_key(self, store) -> None:
        store.setex("k", 50, "v1")
        store.set("k", "v2")
        assert (store.get("k"), store.ttl("k")) == ("v2", -1)
        store.set("k", "v3", ttl=30)
        assert store.get("k") == "v3" and 25 <= store.ttl("k") <= 30

    def test_merge_creates_then_appends_only_new_turns(self, store) -> None:
        tid = uuid.uuid4().hex
        first = store.thread_merge(tid, {"tool_name": "chat", "x": "1"}, ["a", "b"], 100, 10)
        assert (first.created, first.appended, first.refused, first.total) == (True, 2, 0, 2)
        again = store.thread_merge(tid, {"x": "2"}, ["a", "b", "c"], 100, 10)
        assert (again.created, again.appended, again.total) == (False, 1, 3)
        meta, turns = store.thread_read(tid)
        assert turns == ["a", "b", "c"]
        assert meta is not None and (meta["tool_name"], meta["x"]) == ("chat", "2")

    def test_merge_counts_repeats_and_never_removes(self, store) -> None:
        tid = uuid.uuid4().hex
        store.thread_merge(tid, {"tool_name": "chat"}, ["a", "a"], 100, 10)
        assert store.thread_merge(tid, {}, ["a", "a", "a"], 100, 10).appended == 1
        assert store.thread_merge(tid, {}, ["b"], 100, 10).appended == 1
        assert store.thread_read(tid)[1] == ["a", "a", "a", "b"]  # a shorter document removes none

    def test_merge_refuses_past_max_turns_and_refreshes_expiry(self, store) -> None:
        tid = uuid.uuid4().hex
        store.thread_merge(tid, {"tool_name": "chat"}, ["a"], 20, 3)
        result = store.thread_merge(tid, {}, ["a", "b", "c", "d", "e"], 500, 3)
        assert (result.appended, result.refused, result.total) == (2, 2, 3)
        assert store.ttl(meta_key(tid)) > 400

    def test_list_is_newest_first_with_limit_since_and_tool(self, store) -> None:
        a, b = thread(store, "chat"), thread(store, "debug")
        time.sleep(0.02)
        cut = time.time()
        c = thread(store, "chat")
        time.sleep(0.02)
        store.thread_append(a, "turn", "later", 100, 10)
        assert [r.thread_id for r in store.thread_list()][:3] == [a, c, b]
        assert [r.thread_id for r in store.thread_list(limit=1)] == [a]
        assert {r.thread_id for r in store.thread_list(since=cut)} == {a, c}
        assert [r.thread_id for r in store.thread_list(tool="debug")] == [b]
        row = store.thread_list(limit=1)[0]
        assert (row.tool_name, row.turns, row.last_updated_at, row.problem) == (
            "chat",
            1,
            "later",
            None,
        )
        assert 95 <= row.ttl <= 100

    def test_count_export_import(self, store) -> None:
        ids = sorted(thread(store, turns=i) for i in range(5))
        assert store.thread_count() == 5
        batches = list(store.export_threads(batch=2))
        assert [len(b) for b in batches] == [2, 2, 1]
        records = {r.thread_id: r for b in batches for r in b}
        assert sorted(records) == ids
        assert all(len(r.turns) == int(r.turns[-1][1:]) + 1 for r in records.values() if r.turns)
        assert all(r.ttl is not None and 95 <= r.ttl <= 100 for r in records.values())
        fresh = ThreadRecord("new", {"tool_name": "t"}, ["x", "y"], None)
        changed = ThreadRecord(ids[0], {"tool_name": "t"}, ["z"], 50)
        assert store.import_threads([fresh, changed], replace=False) == ["imported", "skipped"]
        assert store.import_threads([changed], replace=True) == ["replaced"]
        assert store.thread_read(ids[0])[1] == ["z"]
        assert store.ttl(meta_key("new")) == -1 and store.thread_read("new")[1] == ["x", "y"]
        assert store.thread_count() == 6

    def test_expired_threads_are_never_returned(self, store) -> None:
        gone = thread(store, ttl=1, turns=2)
        kept = thread(store, ttl=100)
        time.sleep(1.3)
        assert store.thread_read(gone) == (None, [])
        assert [r.thread_id for r in store.thread_list()] == [kept]
        assert store.thread_count() == 1
        assert [r.thread_id for b in store.export_threads() for r in b] == [kept]
        assert store.thread_append(gone, "t", "u", 100, 10) == -1
        assert not store.exists(meta_key(gone)) and store.ttl(turns_key(gone)) == -2
        assert store.thread_create(gone, {"tool_name": "again"}, 100)  # the name is free again
        assert store.thread_read(gone)[1] == []

    def test_thread_keys_are_visible_to_scan_ttl_and_delete(self, store) -> None:
        tid = thread(store, turns=1)
        empty = thread(store)
        keys = set(store.scan("thread:*"))
        assert {meta_key(tid), turns_key(tid), meta_key(empty)} <= keys
        assert turns_key(empty) not in keys
        assert store.exists(turns_key(tid)) and 95 <= store.ttl(turns_key(tid)) <= 100
        assert store.delete(meta_key(tid), turns_key(tid)) == 2
        assert store.thread_read(tid) == (None, [])


class TestLocalStore(StoreContract, StoreContractV2):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[local.LocalStore]:
        yield local.open_store(spec.LocalSpec(path=str(tmp_path / "db" / "conv.db")))
        local.close_all()
