"""storage/redis/survey.py: the figures of thread_survey against what the server holds:
counts, extents and expiries from the index (expired entries left out), turns and MEMORY
USAGE bytes, an exact sample size, progress by page."""

from __future__ import annotations

import pytest

from zenconfig.storage.base import INDEX_EXPIRY, INDEX_UPDATED, ThreadRecord, meta_key, turns_key
from zenconfig.storage.redis import survey
from zenconfig.storage.redis.store import RedisStore
from zenconfig.storage.redis.threads import epoch


def _import(store: RedisStore, n: int, turns: int = 2, ttl: int | None = 1000) -> list[str]:
    ids = [f"s{i}" for i in range(n)]
    records = [
        ThreadRecord(
            tid,
            {"tool_name": "c", "last_updated_at": f"2024-02-0{i + 1}T00:00:00+00:00"},
            [f"turn {k}" for k in range(turns)],
            ttl,
        )
        for i, tid in enumerate(ids)
    ]
    assert store.import_threads(records, replace=False) == ["imported"] * n
    return ids


def test_an_empty_project(store: RedisStore) -> None:
    found = store.thread_survey(None, progress=lambda n, total: pytest.fail("no page to report"))
    assert (found.threads, found.sampled, found.bytes, found.forever) == (0, 0, 0, 0)
    assert (found.newest, found.oldest, found.ttl_min, found.ttl_max) == (None, None, None, None)


def test_exact_figures_match_the_server(store: RedisStore) -> None:
    ids = _import(store, 4, turns=3, ttl=1000)
    store.import_threads([ThreadRecord("kept", {"tool_name": "c"}, ["only"], None)], False)
    c, p = store.client, store.prefix
    size = sum(
        c.memory_usage(p + meta_key(t)) + c.memory_usage(p + turns_key(t)) for t in [*ids, "kept"]
    )
    found = store.thread_survey(None)
    assert (found.threads, found.sampled, found.forever) == (5, 5, 1)
    assert (found.turns, found.turns_sq) == (4 * 3 + 1, 4 * 9 + 1)
    assert found.bytes == size
    assert found.oldest == epoch("2024-02-01T00:00:00+00:00")
    assert found.newest == c.zscore(p + INDEX_UPDATED, "kept")  # placed at its import
    assert found.ttl_min is not None and 990 <= found.ttl_min <= found.ttl_max <= 1000


def test_expired_entries_are_left_out(store: RedisStore) -> None:
    _import(store, 3)
    c, p = store.client, store.prefix
    c.zadd(p + INDEX_UPDATED, {"dead": 2e9})  # the newest entry, but expired long ago
    c.zadd(p + INDEX_EXPIRY, {"dead": 1000.0})
    found = store.thread_survey(None)
    assert found.threads == 3 and found.sampled == 3
    assert found.newest == epoch("2024-02-03T00:00:00+00:00")
    assert found.ttl_min is not None and found.ttl_min > 900  # not the expired one


def test_a_sample_measures_exactly_that_many_distinct_threads(store: RedisStore) -> None:
    _import(store, 6, turns=2)
    found = store.thread_survey(4)
    assert (found.threads, found.sampled, found.turns, found.turns_sq) == (6, 4, 8, 16)
    every = store.thread_survey(6)  # a sample as large as the project: every thread
    assert (every.sampled, every.turns) == (6, 12)


def test_progress_by_page_counts_only_live_threads(
    store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(survey, "PAGE", 2)
    _import(store, 5, ttl=None)
    store.client.zadd(store.prefix + INDEX_UPDATED, {"ghost": 1.0})  # indexed, keys gone
    seen: list[tuple[int, int]] = []
    found = store.thread_survey(None, progress=lambda n, total: seen.append((n, total)))
    assert seen == [(1, 6), (2, 6), (2, 6)]  # the ghost is the oldest: first page, not counted
    assert (found.sampled, found.ttl_min, found.ttl_max) == (5, None, None)
    assert found.oldest == 1.0  # the index's extent, as the index has it
