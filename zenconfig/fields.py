"""Dotted field paths inside one project (``port``, ``tls.enabled``, ...).

The fields and their JSON types come from the committed schema (no pydantic),
so ``get`` and ``set`` can check a path and read a command-line value by the
field's type: ``6380`` is an integer for ``port`` and a string for ``host``;
duration fields (``…_seconds``) also take ``2h``, ``15m``, ``2h 30m``.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from typing import Any

from . import durations
from .errors import UsageError

SECRET_FIELDS = ("password",)
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


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


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _types(node: dict[str, Any], root: dict[str, Any]) -> set[str]:
    node = _resolve(node, root)
    if "anyOf" in node:
        return set().union(*(_types(sub, root) for sub in node["anyOf"]))
    if "oneOf" in node:
        return set().union(*(_types(sub, root) for sub in node["oneOf"]))
    kind = node.get("type")
    return {kind} if isinstance(kind, str) else set(kind or ["object"])


@cache
def field_types() -> dict[str, frozenset[str]]:
    """Every settable path of a project and the JSON types it takes."""
    from .fastcheck import schema

    root = schema()
    found: dict[str, frozenset[str]] = {}

    def walk(node: dict[str, Any], base: str) -> None:
        node = _resolve(node, root)
        for key, sub in node.get("properties", {}).items():
            dotted = f"{base}{key}"
            resolved = _resolve(sub, root)
            found[dotted] = frozenset(_types(sub, root))
            if "properties" in resolved and key not in SECRET_FIELDS:
                walk(resolved, dotted + ".")

    walk(root["definitions"]["Connection"], "")
    return found


def known_fields() -> list[str]:
    return sorted(field_types())


def check_field(field: str, *, writable: bool) -> list[str]:
    """Split a dotted field, or raise a usage error with a suggestion."""
    known = known_fields()
    if field not in known:
        from .text import printable

        # a word of a field's name first ("ttl": conversation_ttl_seconds), then spelling
        words = [k for k in known if field.lower() in k.replace(".", "_").split("_")]
        close = words[:1] or difflib.get_close_matches(field, known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UsageError(
            f"unknown field '{printable(field, 80)}'", hint=hint + "fields: " + ", ".join(known)
        )
    if writable and field.split(".")[0] in SECRET_FIELDS:
        raise UsageError(
            "the password is not set with 'set'",
            hint="use: zen config set-password NAME (--password-stdin, --password-env or "
            "--password-command)",
        )
    return field.split(".")


def parse_value(raw: str, field: str) -> Any:
    """A command-line value read by the field's type (see the module doc).

    Text that fits none of the field's types is returned as it is, so that
    validation names the field and what it needs.
    """
    types = field_types().get(field, frozenset({"string"}))
    text = raw.strip()
    if text == "null" and "null" in types:
        return None
    if "integer" in types or "number" in types:
        try:
            return int(text)
        except ValueError:
            pass
        if field.endswith("_seconds"):
            try:
                seconds = durations.parse(text)
            except durations.DurationError:
                pass
            else:
                return int(seconds) if seconds == int(seconds) and "integer" in types else seconds
        if "number" in types:
            try:
                return float(text)
            except ValueError:
                pass
    if "boolean" in types and text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    if types & {"array", "object"} and text[:1] in "[{":
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


def unset(tree: dict[str, Any], parts: list[str]) -> None:
    """Remove a field (its default applies again), and the tables it leaves empty."""
    path = [tree]
    for part in parts[:-1]:
        child = path[-1].get(part)
        if not isinstance(child, dict):
            return
        path.append(child)
    path[-1].pop(parts[-1], None)
    for parent, part, child in reversed(list(zip(path, parts, path[1:], strict=False))):
        if child:
            break
        del parent[part]


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
