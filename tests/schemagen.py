"""Documents drawn from the committed JSON Schema, valid and nearly valid.

A small generator for the keywords the schema uses (the same subset
``zenconfig.fastcheck`` interprets), so property tests can compare every
validator that claims the contract: jsonschema, the fast walker and the
pydantic models. ``near_miss`` breaks one value of a valid document in a way
one of them might overlook (a bool for a number, a numeric string, a trailing
newline in a name, NaN, an unknown key, a huge integer).
"""

from __future__ import annotations

import copy
import math
import string
from typing import Any

from hypothesis import strategies as st

from zenconfig import fastcheck

NAME_CHARS = string.ascii_letters + string.digits + "_.-"
ENV_FIRST = string.ascii_letters + "_"


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _string(node: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = node.get("minLength", 0), node.get("maxLength", 12)
    pattern = node.get("pattern")
    if pattern is None:
        return st.text(min_size=low, max_size=min(high, 12))
    if pattern.startswith("^[A-Za-z0-9_.-]+"):
        return st.text(NAME_CHARS, min_size=max(low, 1), max_size=min(high, 12))
    if pattern.startswith("^[A-Za-z_][A-Za-z0-9_]*"):
        return st.builds(
            lambda a, b: a + b, st.sampled_from(ENV_FIRST), st.text(ENV_FIRST + string.digits)
        )
    return st.from_regex(pattern.replace("$(?!\\n)", r"\Z"), fullmatch=True)


def _number(node: dict[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    low = node.get("minimum")
    high = node.get("maximum")
    if "exclusiveMinimum" in node:
        low = node["exclusiveMinimum"] + (1 if integer else 1e-3)
    if integer:
        return st.integers(min_value=low, max_value=high if high is not None else 10**6)
    return st.floats(
        min_value=low, max_value=high if high is not None else 1e6, allow_nan=False
    ) | st.integers(min_value=math.ceil(low or 0), max_value=int(high or 10**6))


def strategy(node: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the schema node accepts."""
    node = _resolve(node, root)
    if "anyOf" in node or "oneOf" in node:
        return st.one_of([strategy(sub, root) for sub in node.get("anyOf", node.get("oneOf"))])
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return _number(node, True)
    if kind == "number":
        return _number(node, False)
    if kind == "string":
        return _string(node)
    if kind == "array":
        return st.lists(strategy(node["items"], root), min_size=node.get("minItems", 0), max_size=3)
    return _object(node, root)


def _object(node: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[Any]:
    properties = node.get("properties", {})
    required = set(node.get("required", ()))
    patterns = node.get("patternProperties", {})
    fixed = st.fixed_dictionaries(
        {k: strategy(v, root) for k, v in properties.items() if k in required},
        optional={k: strategy(v, root) for k, v in properties.items() if k not in required},
    )
    if not patterns:
        return fixed
    [(pattern, sub)] = patterns.items()
    names = _string({"pattern": pattern, "maxLength": 12})
    return st.builds(
        lambda a, b: {**a, **b}, fixed, st.dictionaries(names, strategy(sub, root), max_size=3)
    )


def documents() -> st.SearchStrategy[dict[str, Any]]:
    root = fastcheck.schema()
    return strategy(root, root)


# NaN and infinities are not here: JSON has none, and the parser refuses TOML's
# before any validator sees them (tests/test_configfile.py).
BAD_VALUES = [True, False, "6379", "yes", 1.5, None, -1, 10**30, [], {}, "a\n"]


def _paths(node: Any, base: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [base]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*base, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*base, i))
    return found


@st.composite
def near_miss(draw: st.DrawFn) -> dict[str, Any]:
    """A valid document with one thing changed (often, not always, making it invalid)."""
    document = copy.deepcopy(draw(documents()))
    path = draw(st.sampled_from(_paths(document)))
    parent: Any = document
    for part in path[:-1]:
        parent = parent[part]
    how = draw(st.sampled_from(["value", "extra", "newline-name"]))
    if not path or how == "extra":
        target = parent if not path else parent[path[-1]]
        if isinstance(target, dict):
            target[draw(st.sampled_from(["extra", "Port", "passwd"]))] = 1
        return document
    renamable = isinstance(parent, dict) and isinstance(path[-1], str)
    if how == "newline-name" and renamable and path[-2:-1] == ("connections",):
        parent[path[-1] + "\n"] = parent.pop(path[-1])
        return document
    parent[path[-1]] = draw(st.sampled_from(BAD_VALUES))
    return document
