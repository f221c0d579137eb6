"""The scrubbed ``.env`` after ``migrate``: every ``REDIS_PASSWORD`` binding, found
by python-dotenv's own parser (multi-line values, ``export``, duplicates),
replaced by a note; verified by parsing the result again (see ``scrub``)."""

from __future__ import annotations

import io
from typing import Any

from ..errors import ConfigError
from . import spans
from .scrub import DROPPED, MASK, Scrubbed, leaks

KEY = "REDIS_PASSWORD"


def _values(text: str) -> dict[str, Any]:
    from dotenv import dotenv_values

    return dict(dotenv_values(stream=io.StringIO(text), interpolate=False))


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("\r", "\\r").replace("\t", "\\t") + '"'


def _from_values(values: dict[str, Any], comment: str, secrets: set[str]) -> str:
    lines = [comment]
    for key, value in values.items():
        lines.append(key if value is None else f"{key}={_quoted(value)}")
        if value is not None and (value in secrets or leaks(value, secrets)):
            raise ConfigError(
                f"the password in {KEY} also appears in {key}; nothing was changed",
                hint=f"remove it from {key} (or change it), then run zen config migrate",
            )
    return "\n".join(lines) + "\n"


def scrub(text: str, taken: str | None, note: str, *, mask: bool) -> Scrubbed:
    """The .env without its passwords: a note (or ``********`` for a dry run) instead."""
    bindings = spans.env_bindings(text)
    targets = [b for b in bindings if b.key == KEY]
    secrets = {b.value for b in targets if b.value} | ({taken} if taken else set())
    if not secrets:  # no password in it (absent or empty): nothing moves, nothing changes
        return Scrubbed(text, rewritten=False)
    written = {text[b.start : b.end] for b in targets}
    line = f"{KEY}={MASK}" if mask else f"# {KEY} {note}"
    in_use = targets[-1] if targets else None  # of duplicates, the last one counts
    candidate = text
    for b in reversed(targets):
        end = "\n" if text[b.start : b.end].endswith("\n") else ""
        new = line if mask or b is in_use else f"# {KEY} {DROPPED}"
        candidate = candidate[: b.start] + new + end + candidate[b.end :]
    expected = {k: v for k, v in _values(text).items() if k != KEY}
    shown = {**expected, KEY: MASK} if mask and targets else expected
    elsewhere = any(value in secrets for value in expected.values())  # by value: short ones too
    if _values(candidate) == shown and not leaks(candidate, secrets, written) and not elsewhere:
        return Scrubbed(candidate, rewritten=False)
    return Scrubbed(_from_values(expected, line, secrets), rewritten=True)
