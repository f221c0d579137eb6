"""Human durations, read and written the same way everywhere.

Accepted: ``90`` or ``90s``, ``15m``, ``2h``, ``7d``, ``1w``, combinations such
as ``2h 59m`` or ``1d12h``, and fractions of a second (``0.5``, ``0.25s``).
Shown: the two largest non-zero units, rounded down (``10795`` -> ``2h 59m``);
below a minute, seconds (``45s``, ``0.5s``).
"""

from __future__ import annotations

import math
import re

UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhms]?)")
MAX_SECONDS = 10 * 365 * 86400


class DurationError(ValueError):
    """Not a duration this module reads."""


def parse(text: str) -> float:
    """Seconds in ``text``; DurationError when it is not a duration."""
    rest = text.strip().lower()
    if not rest:
        raise DurationError("empty duration")
    total = 0.0
    seen: list[str] = []
    while rest:
        match = _PART.match(rest)
        if match is None:
            raise DurationError(f"not a duration: {text!r} (e.g. 90s, 15m, 2h, 7d, 2h 30m)")
        number, unit = match.group(1), match.group(2) or "s"
        if unit in seen or (not match.group(2) and seen):
            raise DurationError(f"not a duration: {text!r} (e.g. 90s, 15m, 2h, 7d, 2h 30m)")
        seen.append(unit)
        total += float(number) * UNITS[unit]
        rest = rest[match.end() :].lstrip()
    if not math.isfinite(total) or total > MAX_SECONDS:
        raise DurationError(f"duration too long: {text!r}")
    return total


def parse_seconds(text: str) -> int:
    """Whole seconds (a TTL): ``2h`` -> 7200; fractions are refused."""
    value = parse(text)
    if value != int(value):
        raise DurationError(f"{text!r} is not a whole number of seconds")
    return int(value)


def human(seconds: float) -> str:
    """``10795`` -> ``2h 59m``; ``90`` -> ``1m 30s``; ``7200`` -> ``2h``."""
    if seconds < 0:
        return "-"
    if seconds < 60 and seconds != int(seconds):
        return f"{seconds:g}s"
    whole = int(seconds)
    parts = []
    for unit, size in UNITS.items():
        if unit == "w":
            continue
        if whole >= size:
            parts.append(f"{whole // size}{unit}")
            whole %= size
        elif parts:
            break
        if len(parts) == 2:
            break
    return " ".join(parts) or "0s"
