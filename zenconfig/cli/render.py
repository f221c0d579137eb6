"""Plain-text tables; no colour library needed (``NO_COLOR`` is honoured by having none)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns two spaces apart, each as wide as its widest cell as shown (escaped)."""
    from ..text import printable

    cells = [[str(c) for c in headers]]
    cells += [["" if c is None else printable(str(c)) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)


def duration(seconds: float) -> str:
    from ..durations import human

    return human(seconds)


def value(v: Any) -> str:
    import json

    if isinstance(v, str):
        return v
    return json.dumps(v)
