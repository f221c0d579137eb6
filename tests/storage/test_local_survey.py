"""zenconfig.storage.local_survey: survey() on a real database: extents, bytes, pages, samples."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import pytest

from tests.storage.locals import expire, store_fixture  # noqa: F401
from zenconfig.storage import local_survey
from zenconfig.storage.local_store import LocalStore
from zenconfig.storage.local_survey import survey
from zenconfig.storage.records import ThreadRecord

OLD = "2020-01-01T00:00:00+00:00"
OLD_EPOCH = 1_577_836_800.0


@pytest.fixture
def seeded() -> Iterator[Callable[[int], None]]:
    """Seed the draws of a sample (the module draws from ``random``), so a run is repeatable."""
    state = random.getstate()
    yield random.seed
    random.setstate(state)


def record(tid: str, turns: int, ttl: int | None, stamp: str | None = None) -> ThreadRecord:
    meta = (
        {"tool_name": "chat"} if stamp is None else {"tool_name": "chat", "last_updated_at": stamp}
    )
    return ThreadRecord(tid, meta, [f"{tid}:{n}" for n in range(turns)], ttl)


def test_bytes_are_the_length_of_every_stored_text(store: LocalStore) -> None:
    meta = {"tool_name": "chat", "created_at": "c1", "last_updated_at": OLD, "note": "é🧵"}
    store.import_threads([ThreadRecord("t", meta, ["abc", "ü"], None)], False)
    store.import_threads([ThreadRecord("bare", {}, [], None)], False)
    found = survey(store.db, 2, None, None)
    extra_t, extra_bare = '{"note":"é🧵"}', '{"thread_id":"bare"}'  # characters, not bytes
    t = len("chat") + len("c1") + len(OLD) + len(extra_t) + len("abc") + len("ü")
    assert (found.sampled, found.turns, found.bytes) == (2, 2, t + len(extra_bare))
    assert found.bytes_sq == t * t + len(extra_bare) ** 2


def test_extents_come_from_live_rows_only(store: LocalStore) -> None:
    store.import_threads(
        [
            record("oldest", 1, 500, OLD),
            record("old", 1, 50, "2021-01-01T00:00:00+00:00"),
            record("forever", 1, None),
            record("newest-but-expired", 1, 1000),
            record("soonest-but-expired", 1, 1000, "2019-01-01T00:00:00+00:00"),
        ],
        False,
    )
    expire(store, "newest-but-expired", "soonest-but-expired")
    found = survey(store.db, store.thread_count(), None, None)
    assert (found.threads, found.sampled, found.turns) == (3, 3, 3)
    assert found.oldest == OLD_EPOCH
    forever_row = store.thread_list(1)[0]
    assert forever_row.thread_id == "forever" and found.newest == forever_row.updated
    assert found.forever == 1
    assert 45 <= (found.ttl_min or 0) <= 50 and 495 <= (found.ttl_max or 0) <= 500


def test_every_thread_is_read_in_pages_with_progress(store: LocalStore) -> None:
    total = local_survey.PAGE + 30
    store.import_threads([record(f"t{i:05d}", i % 3, 100) for i in range(total)], False)
    calls: list[tuple[int, int]] = []
    found = survey(store.db, total, total, lambda n, total: calls.append((n, total)))
    assert calls == [(local_survey.PAGE, total), (30, total)]
    assert (found.sampled, found.turns) == (total, sum(i % 3 for i in range(total)))


def test_a_sample_draws_only_live_rows_past_the_gaps(
    store: LocalStore, seeded: Callable[[int], None]
) -> None:
    """Deleted or expired rows leave rowids that draw nothing: the sample draws again."""
    seeded(0)
    store.import_threads(
        [record(f"t{i:03d}", 1 if i % 2 == 0 else 5, 100) for i in range(300)], False
    )
    store.thread_delete_many([f"t{i:03d}" for i in range(1, 300, 4)])
    expire(store, *[f"t{i:03d}" for i in range(3, 300, 4)])  # five turns each: never sampled
    assert store.thread_count() == 150
    found = survey(store.db, 150, 10, None)
    assert (found.threads, found.sampled, found.turns, found.turns_sq) == (150, 10, 10, 10)
    assert found.bytes == 10 * (len("chat") + len("{}") + len("t000:0"))


def test_a_sample_is_as_large_as_asked_while_live_rows_remain(
    store: LocalStore, seeded: Callable[[int], None]
) -> None:
    store.import_threads([record(f"t{i:03d}", 1, 100) for i in range(100)], False)
    store.thread_delete_many([f"t{i:03d}" for i in range(1, 100, 2)])  # every other rowid a gap
    sizes = []
    for seed in (15, 24, 30):  # draws that meet only rows already chosen in some round
        seeded(seed)
        sizes.append(survey(store.db, 50, 45, None).sampled)
    assert sizes == [45, 45, 45]


def test_an_empty_store_surveys_to_nothing(store: LocalStore) -> None:
    found = survey(store.db, 0, 10, None)
    assert (found.threads, found.sampled, found.oldest, found.newest) == (0, 0, None, None)
    assert (found.ttl_min, found.ttl_max, found.forever) == (None, None, 0)
