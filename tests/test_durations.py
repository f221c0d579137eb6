"""Human durations: one reader, one writer, the same forms everywhere."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zenconfig import durations


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("15m", 900), ("2h", 7200), ("7d", 604800), ("1w", 604800),
     ("2h 59m", 10740), ("1d12h", 129600), ("0.5", 0.5), (" 3H ", 10800)],
)  # fmt: skip
def test_parse(text: str, seconds: float) -> None:
    assert durations.parse(text) == seconds


@pytest.mark.parametrize("text", ["", "x", "2h 3h", "5 5", "-1", "1e9", "h", "2x", "99999999d"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(durations.DurationError):
        durations.parse(text)


def test_whole_seconds_for_ttls() -> None:
    assert durations.parse_seconds("2h") == 7200
    with pytest.raises(durations.DurationError, match="whole number"):
        durations.parse_seconds("1.5")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(10795, "2h 59m"), (10800, "3h"), (90, "1m 30s"), (45, "45s"), (0.5, "0.5s"), (604800, "7d"),
     (0, "0s"), (-1, "-")],
)  # fmt: skip
def test_human(seconds: float, text: str) -> None:
    assert durations.human(seconds) == text


@given(st.integers(min_value=0, max_value=10 * 365 * 86400))
def test_what_is_shown_reads_back_no_later(seconds: int) -> None:
    shown = durations.human(seconds)
    back = durations.parse(shown)
    assert back <= seconds
    assert seconds - back < max(60, seconds * 0.05) or seconds >= 86400
