"""zenconfig.storage.records: the contract's records are values, and a survey sums its sample."""

from __future__ import annotations

import dataclasses

import pytest

from zenconfig.storage.records import (
    MergeResult,
    ThreadRecord,
    ThreadRow,
    ThreadSurvey,
    seconds_left,
)


def test_survey_adds_turns_bytes_and_their_squares() -> None:
    survey = ThreadSurvey(threads=10)
    assert (survey.sampled, survey.turns, survey.bytes, survey.oldest, survey.ttl_max) == (
        0,
        0,
        0,
        None,
        None,
    )
    for turns, size in [(3, 100), (0, 7), (5, 40)]:
        survey.add(turns, size)
    assert (survey.sampled, survey.turns, survey.turns_sq) == (3, 8, 9 + 0 + 25)
    assert (survey.bytes, survey.bytes_sq) == (147, 100**2 + 7**2 + 40**2)
    assert survey.threads == 10  # the exact count is the index's, never the sample's


@pytest.mark.parametrize(
    "value",
    [
        ThreadRecord("t", {"tool_name": "c"}, ["x"], None),
        ThreadRow("t", "c", "a", "b", 1, -1),
        MergeResult(True, 1, 0, 1),
    ],
)
def test_records_handed_around_are_frozen(value: object) -> None:
    field = dataclasses.fields(value)[0].name  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, "changed")


def test_records_compare_by_value() -> None:
    assert MergeResult(False, 2, 1, 5) == MergeResult(created=False, appended=2, refused=1, total=5)
    assert MergeResult(False, 2, 1, 5) != MergeResult(False, 2, 0, 5)
    a = ThreadRecord("t", {"tool_name": "c"}, ["x"], 10)
    assert a == ThreadRecord("t", {"tool_name": "c"}, ["x"], 10)
    assert a != dataclasses.replace(a, ttl=None)


def test_a_row_converts_to_the_public_thread_summary() -> None:
    from zenconfig.storage.conversations import ThreadSummary

    row = ThreadRow("t", "chat", "c", "u", 3, 60, problem="meta lacks created_at", updated=1.5)
    assert set(ThreadSummary.model_fields) == {f.name for f in dataclasses.fields(ThreadRow)}
    summary = ThreadSummary(**dataclasses.asdict(row))
    assert summary.model_dump() == dataclasses.asdict(row)


@pytest.mark.parametrize(
    ("left", "said"), [(0.001, 1), (0.49, 1), (1.49, 1), (1.51, 2), (599.6, 600), (600.4, 600)]
)
def test_seconds_left_rounds_to_the_nearest_and_never_says_gone(left: float, said: int) -> None:
    assert seconds_left(left) == said
