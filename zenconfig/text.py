"""Showing untrusted text: control characters escaped, length bounded.

Everything shown from a file or from Redis (a .zen-project line, a thread's
tool name or content, a key) goes through ``printable`` so that escape
sequences never reach the terminal raw.
"""

from __future__ import annotations

import unicodedata


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
