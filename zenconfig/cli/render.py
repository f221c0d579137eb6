"""Plain-text tables; no colour library needed (``NO_COLOR`` is honoured by having none)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in headers], *[["" if c is None else str(c) for c in r] for r in rows]]
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
