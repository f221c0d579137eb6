"""Showing untrusted text: control characters escaped, length bounded.

Everything shown from a file or from Redis (a .zen-project line, a thread's
tool name or content, a key) goes through ``printable`` so that escape
sequences never reach the terminal raw.
"""

from __future__ import annotations

import unicodedata

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def digits(text: str) -> bool:
    """Only ASCII digits (``str.isdigit`` also accepts "²", which ``int`` refuses)."""
    return text.isascii() and text.isdigit()


def lone_surrogate(text: str) -> int | None:
    """Where ``text`` holds a lone surrogate (a JSON ``\\udcff`` escape, a byte of
    argv or the environment that is not UTF-8), which has no UTF-8, so no Redis
    key, host name or keyring entry can be made of it; None for Unicode text."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        return e.start
    return None


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str, limit: int | None = None) -> str:
    """``text`` with control and format characters escaped (\\x1b, \\u202e, ...)."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    if text.isprintable():
        return text
    return "".join(
        c if c == " " or unicodedata.category(c)[0] not in "CZ" or c.isprintable() else _escape(c)
        for c in text
    )


def json_text(value: Any, indent: int | None = 2) -> str:
    """JSON for a terminal or a script: readable non-ASCII, but every control or
    format character (DEL, C1, bidi overrides…) written as a JSON escape."""
    import json

    text = json.dumps(value, indent=indent, ensure_ascii=False)
    if all(c.isprintable() or c in "\n " for c in text):
        return text
    return "".join(
        c if c.isprintable() or c in "\n " else json.dumps(c)[1:-1]  # ensure_ascii: \uXXXX
        for c in text
    )
