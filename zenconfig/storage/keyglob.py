"""Redis glob patterns (``SCAN MATCH``, ``KEYS``) for the stores that are not Redis.

One reading of a pattern for the memory store, the local store and zen's
``list_keys``, the way Redis reads it (``stringmatchlen``): ``*`` any run,
``?`` one character, ``[...]`` a class (``^`` negates, ``a-z`` a range, its
ends swapped when reversed, ``\\`` escapes, ``[]`` matches nothing), ``\\x``
the character x. Keys here are text, so ``?`` and classes match one character
where Redis matches one byte: the same for ASCII keys.
"""

from __future__ import annotations

import re

SPECIAL = "*?[\\"


def glob(pattern: str) -> re.Pattern[str]:
    """``pattern`` as a compiled regular expression matching whole keys."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 1
        elif c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            text, i = _class(pattern, i + 1)
            out.append(text)
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def _class(pattern: str, i: int) -> tuple[str, int]:
    """The class starting at ``pattern[i]`` (after ``[``): its regex, and the index of
    its ``]`` (or the end: an unclosed class runs to the end of the pattern)."""
    negate = pattern[i : i + 1] == "^"
    i += negate
    items = []
    while i < len(pattern) and pattern[i] != "]":
        if pattern[i] == "\\" and i + 1 < len(pattern):
            items.append(re.escape(pattern[i + 1]))
            i += 2
        elif pattern[i + 1 : i + 2] == "-" and i + 2 < len(pattern):
            low, high = sorted((pattern[i], pattern[i + 2]))
            items.append(f"{re.escape(low)}-{re.escape(high)}")
            i += 3
        else:
            items.append(re.escape(pattern[i]))
            i += 1
    if not items:
        return ("(?s:.)" if negate else "(?!)"), i
    return "[" + ("^" if negate else "") + "".join(items) + "]", i


def literal_prefix(pattern: str) -> str:
    """The part of ``pattern`` before its first special character."""
    end = next((i for i, c in enumerate(pattern) if c in SPECIAL), len(pattern))
    return pattern[:end]
