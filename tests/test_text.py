"""Untrusted text is shown with control characters escaped."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from zenconfig.text import printable


def test_escape_sequences_never_reach_the_terminal() -> None:
    assert printable("a\x1b[31mred\x07") == "a\\x1b[31mred\\x07"
    assert printable("line\nbreak\ttab") == "line\\x0abreak\\x09tab"
    assert printable("evil\u202etxt.exe") == "evil\\u202etxt.exe"


def test_ordinary_text_is_kept() -> None:
    assert printable("zen:проект: 中文 é") == "zen:проект: 中文 é"


def test_limit() -> None:
    assert printable("x" * 100, 10) == "x" * 10 + "…"


@given(st.text())
def test_output_has_no_control_characters(text: str) -> None:
    shown = printable(text)
    assert all(c.isprintable() or c == " " for c in shown)
