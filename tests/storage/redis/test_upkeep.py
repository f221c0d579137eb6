"""storage/redis/upkeep.py: checked deletes in batches, oldest-first pages after a cursor
(ties included), and reindex: scores and expiries it sets, stale entries it drops, and
its checkpoint (resumed, or ignored when it does not fit)."""

from __future__ import annotations

import json

import pytest

from zenconfig.storage.base import (
    INDEX_EXPIRY,
    INDEX_MARKER,
    INDEX_UPDATED,
    ThreadRecord,
    meta_key,
    turns_key,
)
from zenconfig.storage.redis import upkeep
from zenconfig.storage.redis.store import RedisStore
from zenconfig.storage.redis.threads import epoch

OLD = "2020-03-01T00:00:00+00:00"
LATER = "2020-03-02T00:00:00+00:00"


def _legacy(store: RedisStore, tid: str, stamp: str | None = None, ttl: int = 0) -> None:
    """A thread written without the index (an older writer)."""
    meta = {"thread_id": tid, "tool_name": "chat", "created_at": "c"}
    if stamp is not None:
        meta["last_updated_at"] = stamp
    store.client.hset(store.prefix + meta_key(tid), mapping=meta)
    store.client.rpush(store.prefix + turns_key(tid), "turn")
    if ttl:
        store.client.expire(store.prefix + meta_key(tid), ttl)


def _indexed(store: RedisStore) -> set[str]:
    return {m.decode() for m in store.client.zrange(store.prefix + INDEX_UPDATED, 0, -1)}


def test_delete_many_in_batches_keeps_what_changed(
    store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upkeep, "BATCH", 3)
    ids = [f"d{i}" for i in range(7)]
    for tid in ids:
        store.thread_create(tid, {"tool_name": "c", "last_updated_at": "listed"}, 60)
    store.thread_append("d4", "turn", "since", 60, 10)  # written after it was listed
    stamps = ["listed"] * 7 + ["listed"]
    done = upkeep.delete_many(store, [*ids, "missing"], stamps)
    assert done == [True, True, True, True, False, True, True, False]
    assert _indexed(store) == {"d4"} and store.thread_read("d4")[1] == ["turn"]
    assert upkeep.delete_many(store, ["d4"], None) == [True]  # unchecked
    assert _indexed(store) == set()


def test_scripts_for_many_threads_answer_each_in_place(store: RedisStore) -> None:
    store.thread_create("a", {"tool_name": "c"}, 60)
    wrong = store.prefix + "not-a-sorted-set"
    store.client.set(wrong, "x")
    calls = [
        (store.thread_keys("a"), ["a", "0", ""]),
        ([*store.thread_keys("b")[:2], wrong, wrong], ["b", "0", ""]),
        (store.thread_keys("c"), ["c", "0", ""]),
    ]
    replies = upkeep.run_scripts(store, "DELETE_IF", calls)
    assert replies[0] == 1 and replies[2] == 0  # a's meta (no turns yet); c was never there
    assert isinstance(replies[1], Exception) and "WRONGTYPE" in str(replies[1])


def test_older_pages_oldest_first_with_ties_after_a_cursor(
    store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upkeep, "BATCH", 2)
    tied = {tid: OLD for tid in ("a", "b", "c", "d")}
    records = [
        ThreadRecord(
            t,
            {"tool_name": "x" if t in "bd" else "y", "created_at": "c", "last_updated_at": s},
            [],
            600,
        )
        for t, s in {**tied, "e": LATER}.items()
    ]
    store.import_threads([*records, ThreadRecord("now", {"tool_name": "y"}, [], 600)], False)
    cutoff = epoch("2021-01-01T00:00:00+00:00")
    assert cutoff is not None
    first = upkeep.older(store, cutoff, 2, None, None)
    assert [r.thread_id for r in first] == ["a", "b"]
    after = (first[-1].updated or 0.0, first[-1].thread_id)
    assert after[0] == epoch(OLD)
    rest = upkeep.older(store, cutoff, 10, None, after)
    assert [r.thread_id for r in rest] == ["c", "d", "e"]  # the tie goes on by id
    assert [r.thread_id for r in upkeep.older(store, cutoff, 10, "x", None)] == ["b", "d"]
    assert [r.thread_id for r in upkeep.older(store, cutoff, 1, "y", after)] == ["c"]
    assert upkeep.older(store, epoch(OLD) or 0.0, 10, None, None) == []  # strictly before


def test_reindex_scores_expiries_and_stale_entries(store: RedisStore) -> None:
    _legacy(store, "stamped", OLD, ttl=500)
    _legacy(store, "unstamped")
    store.thread_create("indexed", {"tool_name": "c"}, 0)
    place = store.client.zscore(store.prefix + INDEX_UPDATED, "indexed")
    store.client.zadd(store.prefix + INDEX_UPDATED, {"ghost": 5.0})  # its thread is gone
    seen: list[int] = []
    assert upkeep.reindex(store, lambda n: seen.append(n)) == 3
    assert sum(seen) == 3
    c, p = store.client, store.prefix
    assert _indexed(store) == {"stamped", "unstamped", "indexed"}
    assert c.zscore(p + INDEX_UPDATED, "stamped") == epoch(OLD)
    assert c.zscore(p + INDEX_UPDATED, "indexed") == place  # kept its place
    assert c.zscore(p + INDEX_EXPIRY, "stamped") is not None
    assert c.zscore(p + INDEX_EXPIRY, "unstamped") is None  # no TTL: never expires
    assert c.exists(p + INDEX_MARKER) == 1 and c.exists(p + upkeep.CHECKPOINT) == 0


def test_reindex_resumes_from_its_checkpoint(store: RedisStore) -> None:
    _legacy(store, "l1")
    _legacy(store, "l2")
    key = store.prefix + upkeep.CHECKPOINT
    state = {"nodes": ["-"], "phase": "drop", "at": [0, 0], "rank": 0, "count": 5}
    store.client.set(key, json.dumps(state))
    assert upkeep.reindex(store, None) == 5  # the index phase was done: not walked again
    assert _indexed(store) == set()
    assert store.client.exists(key) == 0


@pytest.mark.parametrize(
    "saved",
    [
        json.dumps(
            {"nodes": ["127.0.0.1:1"], "phase": "drop", "at": [0, 0], "rank": 0, "count": 5}
        ),
        json.dumps({"nodes": ["-"], "phase": "elsewhere", "at": [0, 0], "rank": 0, "count": 5}),
        "not json",
        "[1, 2]",
    ],
    ids=["other-servers", "unknown-phase", "unreadable", "not-an-object"],
)
def test_a_checkpoint_that_does_not_fit_is_ignored(store: RedisStore, saved: str) -> None:
    _legacy(store, "l1")
    _legacy(store, "l2")
    store.client.set(store.prefix + upkeep.CHECKPOINT, saved)
    assert upkeep.reindex(store, None) == 2
    assert _indexed(store) == {"l1", "l2"}
