"""The use cases behind ``zen config`` and ``zen storage``: they return values and
raise ``ZenConfigError``; they never print and never pick an exit code.

``files`` (init, validate, edit, migrate), ``projects`` (add, set, rename,
remove, passwords, use), ``views`` (list, show, current, test-connection,
doctor) and ``data`` (the stored conversations).
"""

from __future__ import annotations

from .common import (
    Context,
    PasswordInput,
    check_name,
    connections,
    password_summary,
    require_entry,
    require_spec,
)

__all__ = [
    "Context",
    "PasswordInput",
    "check_name",
    "connections",
    "password_summary",
    "require_entry",
    "require_spec",
]
