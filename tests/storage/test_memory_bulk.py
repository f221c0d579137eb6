"""zenconfig.storage.memory_bulk: the memory store's listing, survey, reindex, batches, moving."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zenconfig.storage.base import meta_key, turns_key
from zenconfig.storage.memory import MemoryStore
from zenconfig.storage.memory_bulk import _epoch
from zenconfig.storage.records import ThreadRecord

STAMP = "2021-03-04T05:06:07+00:00"
EPOCH = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("stamp", "epoch"),
    [
        (STAMP, EPOCH),
        ("2021-03-04T06:06:07+01:00", EPOCH),
        ("garbage", None),
        ("", None),
        (None, None),
    ],
)
def test_epoch_of_a_stamp(stamp: str | None, epoch: float | None) -> None:
    assert _epoch(stamp) == epoch


def test_older_pages_break_ties_by_id() -> None:
    store = MemoryStore()
    same = [ThreadRecord(t, {"tool_name": "c", "last_updated_at": STAMP}, [], 100) for t in "bca"]
    store.import_threads(same, replace=False)
    first = store.thread_list_older(EPOCH + 1, 2)
    assert [(r.thread_id, r.updated) for r in first] == [("a", EPOCH), ("b", EPOCH)]
    rest = store.thread_list_older(EPOCH + 1, 5, after=(EPOCH, "b"))
    assert [r.thread_id for r in rest] == ["c"]
    assert store.thread_list_older(EPOCH, 5) == []  # strictly before


def test_survey_measures_the_stored_text_and_the_expiry_extents() -> None:
    store = MemoryStore()
    store.import_threads(
        [
            ThreadRecord("a", {"tool_name": "c"}, ["abc", "de"], 100),
            ThreadRecord("b", {"tool_name": "chat", "x": "é"}, [], None),
            ThreadRecord("z", {"tool_name": "c", "last_updated_at": STAMP}, ["q"], 300),
        ],
        replace=False,
    )
    calls: list[tuple[int, int]] = []
    every = store.thread_survey(None, progress=lambda n, total: calls.append((n, total)))
    assert calls == [(3, 3)]
    assert (every.threads, every.sampled, every.turns, every.turns_sq) == (3, 3, 3, 5)
    a, b, z = 9 + 1 + 3 + 2, 9 + 4 + 1 + 1, 9 + 1 + 15 + len(STAMP) + 1
    assert every.bytes == a + b + z and every.bytes_sq == a * a + b * b + z * z
    assert every.forever == 1 and (every.ttl_min, every.ttl_max) == (100, 300)
    assert every.oldest == EPOCH and every.newest is not None and every.newest > EPOCH
    none = store.thread_survey(0)
    assert (none.threads, none.sampled, none.turns) == (3, 0, 0)
    two = store.thread_survey(2)
    assert two.sampled == 2 and two.turns in (1, 2, 3)


def test_reindex_places_unindexed_threads_by_their_last_update() -> None:
    store = MemoryStore()
    store.import_threads(
        [
            ThreadRecord("old", {"tool_name": "c", "last_updated_at": STAMP}, [], 100),
            ThreadRecord("undated", {"tool_name": "c"}, [], 100),
        ],
        replace=False,
    )
    store._index.clear()  # threads written behind the index (none of this store's writes do)
    assert store.thread_list(5) == []
    seen: list[tuple[int, int]] = []
    assert store.thread_reindex(lambda n, total: seen.append((n, total))) == 2
    assert seen == [(2, 2)]
    rows = store.thread_list(5)
    assert [r.thread_id for r in rows] == ["undated", "old"] and rows[1].updated == EPOCH


def test_reindex_lists_an_unindexed_thread_whose_meta_is_text() -> None:
    store = MemoryStore()
    store.set(meta_key("odd"), "not a hash")
    assert store.thread_reindex() == 1
    (row,) = store.thread_list(5)
    assert (row.thread_id, row.problem) == ("odd", "unreadable meta: not a hash")


def test_delete_many_repeated_ids_and_changed_threads() -> None:
    store = MemoryStore()
    for tid in ("a", "b"):
        store.thread_create(tid, {"tool_name": "c", "last_updated_at": "then"}, 100)
    store.thread_append("b", "t", "now", 100, 10)
    assert store.thread_delete_many(["a", "a", "b", "gone"], ["then", "then", "then", "x"]) == [
        True,
        False,
        False,
        False,
    ]
    assert [r.thread_id for r in store.thread_list(5)] == ["b"]
    assert store.thread_delete_many(["b"], ["now"]) == [True]
    assert store.thread_count() == 0


def test_export_skips_what_is_not_a_whole_thread_and_import_replaces_whole() -> None:
    store = MemoryStore()
    store.thread_create("kept", {"tool_name": "c"}, 0)
    store.thread_append("kept", "t1", "u", 0, 10)
    store.thread_create("half", {"tool_name": "c"}, 100)
    store.thread_append("half", "x", "u", 100, 10)
    store.delete(meta_key("half"))  # its turns are left behind
    store.set("plain", "v")
    (batch,) = list(store.export_threads(batch=10))
    assert batch == [ThreadRecord("kept", {"tool_name": "c", "last_updated_at": "u"}, ["t1"], None)]
    replaced = ThreadRecord("kept", {"tool_name": "new"}, [], 0)
    assert store.import_threads([replaced], replace=True) == ["replaced"]
    assert store.thread_read("kept") == ({"tool_name": "new"}, [])
    assert not store.exists(turns_key("kept")) and store.ttl(meta_key("kept")) == -1
