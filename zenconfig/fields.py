"""Dotted field paths inside one project (``port``, ``tls.enabled``, ...)."""

from __future__ import annotations

import difflib
import json
from typing import Any

from .errors import UsageError

SECRET_FIELDS = ("password",)


def leaves(tree: dict[str, Any], base: str = "") -> dict[str, Any]:
    """Flatten nested dicts into ``{"tls.enabled": False, ...}``."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        dotted = f"{base}{key}"
        if isinstance(value, dict) and value and key != "password":
            flat.update(leaves(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def known_fields() -> list[str]:
    from .models import Connection

    tree = Connection().model_dump(mode="json")
    names = set(leaves(tree)) | {k for k, v in tree.items() if isinstance(v, dict)}
    return sorted(names)


def check_field(field: str, *, writable: bool) -> list[str]:
    """Split a dotted field, or raise a usage error with a suggestion."""
    known = known_fields()
    if field not in known:
        close = difflib.get_close_matches(field, known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UsageError(f"unknown field '{field}'", hint=hint + "fields: " + ", ".join(known))
    if writable and field.split(".")[0] in SECRET_FIELDS:
        raise UsageError(
            "the password is not set with 'set'",
            hint="use: zen config set-password NAME (--password-stdin, --password-env or "
            "--password-command)",
        )
    return field.split(".")


def parse_value(raw: str) -> Any:
    """A command-line value: JSON for null, lists and objects, else the text.

    Numbers and booleans stay text here; the model converts them, so that a
    host named ``1234`` stays a string.
    """
    text = raw.strip()
    if text == "null":
        return None
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise UsageError(f"value is not valid JSON: {e.msg} (column {e.colno})") from e
    return raw


def put(tree: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        child = tree.get(part)
        if not isinstance(child, dict):
            child = tree[part] = {}
        tree = child
    tree[parts[-1]] = value


def pick(tree: Any, parts: list[str]) -> Any:
    for part in parts:
        tree = tree[part]
    return tree


def present(tree: dict[str, Any], parts: list[str]) -> bool:
    node: Any = tree
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True
