"""cli/render.py: plain-text tables (aligned, no trailing blanks), durations and values."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zenconfig import durations
from zenconfig.cli import render


def test_columns_are_as_wide_as_their_widest_cell_two_spaces_apart() -> None:
    text = render.table(["NAME", "TTL", "X"], [["p1", 10800, "a"], ["longer-name", 5, "bb"]])
    assert text.split("\n") == [
        "NAME         TTL    X",
        "p1           10800  a",
        "longer-name  5      bb",
    ]
    # a header wider than every cell sets the width of its column
    assert render.table(["CURRENT", "N"], [["*", "p"]]).split("\n") == ["CURRENT  N", "*        p"]


def test_none_is_an_empty_cell_and_no_line_ends_in_blanks() -> None:
    text = render.table(["A", "B", "C"], [["x", None, None], [None, "y", None], [0, False, ""]])
    lines = text.split("\n")
    assert lines == ["A  B      C", "x", "   y", "0  False"]
    assert all(line == line.rstrip() for line in lines)
    # no rows: the header line alone, no trailing newline
    assert render.table(["ONLY", "HEADERS"], []) == "ONLY  HEADERS"


@pytest.mark.parametrize("row", [["a"], ["a", "b", "c"]], ids=["short", "long"])
def test_a_row_of_the_wrong_width_is_refused_not_cut(row: list[str]) -> None:
    with pytest.raises((ValueError, IndexError)):
        render.table(["A", "B"], [["1", "2"], row])


@given(st.one_of(st.integers(-5, 10**8), st.floats(0, 59.99)))
def test_durations_are_written_by_the_one_writer(seconds: float) -> None:
    assert render.duration(seconds) == durations.human(seconds)


def test_durations_shown_in_tables() -> None:
    assert [render.duration(s) for s in (10800, 10795, 90061, 0, -1)] == [
        "3h",
        "2h 59m",
        "1d 1h",
        "0s",
        "-",
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("zen:p1:", "zen:p1:"),  # text as is, not quoted
        ("", ""),
        ('say "hi"', 'say "hi"'),
        (None, "null"),
        (True, "true"),
        (7200, "7200"),
        (0.5, "0.5"),
        (["a", 1], '["a", 1]'),
        ({"verify": False, "ca_file": None}, '{"verify": false, "ca_file": null}'),
    ],
)
def test_values_are_text_as_is_and_anything_else_as_json(value: object, shown: str) -> None:
    assert render.value(value) == shown
    if not isinstance(value, str):
        assert json.loads(render.value(value)) == value
