"""zenconfig.storage.local_upkeep: listing rows, oldest-first pages, batch deletes, purge by age."""

from __future__ import annotations

from tests.storage.locals import expire, store_fixture  # noqa: F401
from zenconfig.storage import local_upkeep
from zenconfig.storage.local_store import LocalStore
from zenconfig.storage.local_upkeep import older, rows_of
from zenconfig.storage.records import ThreadRecord, ThreadRow

DAY = "2020-01-0{}T00:00:00+00:00"
EPOCH = 1_577_836_800.0  # 2020-01-01


def dated(tid: str, stamp: str, tool: str = "chat") -> ThreadRecord:
    return ThreadRecord(
        tid, {"tool_name": tool, "created_at": stamp, "last_updated_at": stamp}, ["t"], 100
    )


def test_rows_of_fills_absent_columns_and_says_what_is_missing() -> None:
    now = 1000.0
    rows = rows_of(
        [
            ("a", "chat", "c", "u", 2, None, 5.0),
            ("b", None, "c", None, 0, now + 30.4, 6.0),
            ("c", "x", "c", "u", 1, now - 10, 7.0),  # expired, not yet purged
        ],
        now,
    )
    assert rows == [
        ThreadRow("a", "chat", "c", "u", 2, -1, None, 5.0),
        ThreadRow("b", "", "c", "", 0, 30, "meta lacks tool_name, last_updated_at", 6.0),
        ThreadRow("c", "x", "c", "u", 1, 0, None, 7.0),
    ]


def test_older_is_strictly_before_ties_by_id_and_skips_expired(store: LocalStore) -> None:
    store.import_threads(
        [dated(t, DAY.format(2)) for t in ("b", "c", "a")]
        + [dated("first", DAY.format(1), tool="review"), dated("gone", DAY.format(1))],
        False,
    )
    expire(store, "gone")
    day2 = EPOCH + 86400
    assert [r.thread_id for r in older(store.db, day2 + 1, 10, None, None)] == [
        "first",
        "a",
        "b",
        "c",
    ]
    assert [r.thread_id for r in older(store.db, day2, 10, None, None)] == ["first"]
    page = older(store.db, day2 + 1, 2, None, (day2, "a"))
    assert [(r.thread_id, r.updated) for r in page] == [("b", day2), ("c", day2)]
    assert [r.thread_id for r in older(store.db, day2 + 1, 10, "review", None)] == ["first"]
    assert older(store.db, day2 + 1, 0, None, None) == []


def test_delete_many_keeps_each_changed_thread_across_batches(store: LocalStore) -> None:
    count = local_upkeep.CHUNK + 20
    ids = [f"d{i:04d}" for i in range(count)]
    store.import_threads([dated(t, DAY.format(1)) for t in ids], False)
    changed = local_upkeep.CHUNK + 7  # in the second batch
    store.thread_append(ids[changed], "new turn", "written since", 100, 10)
    stamps = [DAY.format(1)] * count
    done = store.thread_delete_many(ids, stamps)
    assert [i for i, ok in enumerate(done) if not ok] == [changed]
    assert [r.thread_id for r in store.thread_list(10)] == [ids[changed]]


def test_delete_many_removes_expired_rows_without_counting_them(store: LocalStore) -> None:
    store.import_threads([dated("live", DAY.format(1)), dated("stale", DAY.format(1))], False)
    expire(store, "stale")
    assert store.thread_delete_many(["live", "stale", "never"]) == [True, False, False]
    remaining = store.db.query("SELECT count(*) FROM threads")[0][0]
    turns = store.db.query("SELECT count(*) FROM turns")[0][0]
    assert (remaining, turns) == (0, 0)


def test_purge_by_age_in_pages_carries_on_after_a_stop(store: LocalStore) -> None:
    """List a page of the oldest, delete it unless written since, repeat: what a stopped
    run removed is gone, so the next run starts over and finds only what is left."""
    old = [dated(f"o{i:02d}", DAY.format(1 + i % 5)) for i in range(23)]
    store.import_threads(old, False)
    store.thread_create("recent", {"tool_name": "chat"}, 100)
    cutoff = EPOCH + 10 * 86400

    def run(pages: int | None) -> int:
        removed, after = 0, None
        while pages is None or pages > 0:
            rows = store.thread_list_older(cutoff, 10, None, after)
            if not rows:
                break
            after = (rows[-1].updated or cutoff, rows[-1].thread_id)
            done = store.thread_delete_many(
                [r.thread_id for r in rows], [r.last_updated_at for r in rows]
            )
            removed += sum(done)
            pages = None if pages is None else pages - 1
        return removed

    assert run(pages=1) == 10  # stopped after one page
    assert store.thread_count() == 14
    assert run(pages=None) == 13
    assert [r.thread_id for r in store.thread_list(50)] == ["recent"]


def test_reindex_counts_live_threads_only(store: LocalStore) -> None:
    store.import_threads([dated(f"r{i}", DAY.format(1)) for i in range(4)], False)
    expire(store, "r0")
    calls: list[tuple[int, int | None]] = []
    assert store.thread_reindex(lambda n, total=None: calls.append((n, total))) == 3
    assert calls == [(3, 3)] and store.thread_index_state() == "complete"
