"""A fast, pydantic-free yes/no check of a config document.

``zen config use`` and ``list`` run on every shell prompt tweak; importing
pydantic and building the models costs more than the rest of the command
together. This module walks the committed JSON Schema (generated from the
models) plus ``rules`` and answers "certainly valid" or "not sure". On "not
sure" the caller validates with pydantic, which gives the real error message,
so the models stay the one authority: a keyword this walker does not know
makes it unsure, never lenient. ``tests/test_fastcheck.py`` checks that
whatever it accepts, pydantic accepts too.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

from . import rules

SCHEMA_FILE = Path(__file__).with_name("zen-config.schema.json")
IGNORED = {"title", "description", "default", "$comment", "$schema", "discriminator", "definitions"}
KNOWN = IGNORED | {
    "type", "properties", "additionalProperties", "patternProperties", "propertyNames",
    "required", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "minLength",
    "maxLength", "pattern", "items", "minItems", "anyOf", "oneOf", "$ref",
}  # fmt: skip
TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


class Unsure(Exception):
    """The schema uses something this walker does not interpret."""


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


@cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def _type_ok(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, TYPES[name])


def _ok(value: Any, node: dict[str, Any], root: dict[str, Any]) -> bool:
    unknown = set(node) - KNOWN
    if unknown:
        raise Unsure(sorted(unknown))
    if "$ref" in node:
        target = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        if not _ok(value, target, root):
            return False
    if "type" in node and not _type_ok(value, node["type"]):
        return False
    if "const" in node and (value != node["const"] or type(value) is not type(node["const"])):
        return False
    if "enum" in node and value not in node["enum"]:
        return False
    if "anyOf" in node and not any(_ok(value, sub, root) for sub in node["anyOf"]):
        return False
    if "oneOf" in node and sum(_ok(value, sub, root) for sub in node["oneOf"]) != 1:
        return False
    if isinstance(value, str):
        if len(value) < node.get("minLength", 0) or len(value) > node.get("maxLength", len(value)):
            return False
        if "pattern" in node and not _pattern(node["pattern"]).search(value):
            return False
    if isinstance(value, float) and not math.isfinite(value):
        return False  # NaN and infinities are not numbers (the models refuse them too)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in node and value < node["minimum"]:
            return False
        if "maximum" in node and value > node["maximum"]:
            return False
        if "exclusiveMinimum" in node and value <= node["exclusiveMinimum"]:
            return False
    if isinstance(value, list):
        if len(value) < node.get("minItems", 0):
            return False
        if "items" in node and not all(_ok(v, node["items"], root) for v in value):
            return False
    if isinstance(value, dict):
        return _object_ok(value, node, root)
    return True


def _object_ok(value: dict[str, Any], node: dict[str, Any], root: dict[str, Any]) -> bool:
    if any(key not in value for key in node.get("required", ())):
        return False
    properties = node.get("properties", {})
    patterns = node.get("patternProperties", {})
    names = node.get("propertyNames")
    for key, item in value.items():
        if names is not None and not _ok(key, names, root):
            return False
        if key in properties:
            if not _ok(item, properties[key], root):
                return False
            continue
        matched = [sub for pat, sub in patterns.items() if _pattern(pat).search(key)]
        if matched:
            if not all(_ok(item, sub, root) for sub in matched):
                return False
        elif node.get("additionalProperties", True) is False:
            return False
        elif node.get("additionalProperties", True) is not True:
            raise Unsure("additionalProperties schema")
    return True


def certainly_valid(document: Any) -> bool:
    """True only when the schema and the cross-field rules both accept ``document``."""
    try:
        root = schema()
        return _ok(document, root, root) and not rules.problems(document)
    except Unsure:
        return False
