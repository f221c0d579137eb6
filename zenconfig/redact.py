"""Secrets never reach a message: every password this process has read is
remembered here, and every error text is scrubbed of it.

A server may echo a command's arguments in an error (``unknown command
'HELLO', with args beginning with: '3' 'AUTH' 'default' '<password>'``), and a
library may put them in an exception; ``ZenConfigError`` scrubs its text on
creation and the command line scrubs what it prints (tracebacks included).
"""

from __future__ import annotations

import re
import threading

MASK = "********"
_SECRETS: set[str] = set()
_LOCK = threading.Lock()
_ECHOED_ARGS = re.compile(r"(with args beginning with:).*", re.DOTALL)


def remember(secret: str | None) -> None:
    """Scrub ``secret`` from every message from now on (short ones too: better masked)."""
    if secret:
        with _LOCK:
            _SECRETS.add(secret)


def scrub(text: str) -> str:
    """``text`` without any remembered secret, nor arguments a server echoed."""
    if not text:
        return text
    text = _ECHOED_ARGS.sub(r"\1 …", text)
    with _LOCK:
        known = sorted(_SECRETS, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def forget() -> None:
    """Forget every remembered secret (tests; a long-lived host after a reset)."""
    with _LOCK:
        _SECRETS.clear()
