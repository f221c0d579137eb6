"""Parsing JSON or TOML text into a plain document; errors name file:line:column
or the dotted key.

Numbers are finite: JSON's ``NaN``/``Infinity`` (which Python's json module
accepts) and TOML's ``nan``/``inf`` are errors, and so is a number too long to
be a setting (more than ``MAX_DIGITS`` digits: a 5,000-digit integer would
otherwise hit Python's own conversion limit). Documents nest at most
``MAX_DEPTH`` levels, so no later step can run out of stack.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from .. import paths
from ..errors import ConfigError
from ..text import lone_surrogate

TYPE_CHECKING = False  # typing costs a bare Python start (zenconfig.values)
if TYPE_CHECKING:
    from typing import Any

    Document = dict[str, Any]
else:
    Document = dict
SCHEMA_DIRECTIVE = "#:schema "
_DIRECTIVE = re.compile(r"#:schema(?:\s+(.*))?")  # taplo's: the word, then blanks
SYNTAX_HINT = "fix the file at that line and column, or run: zen config edit"
VALUE_HINT = "fix that value, or run: zen config edit"
MAX_DIGITS = 100
_TOO_MANY_DIGITS = 10**MAX_DIGITS  # the smallest integer written with more digits
MAX_DEPTH = 64
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_JSON_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')
_LONG_DIGITS = re.compile(rf"[0-9][0-9_]{{{MAX_DIGITS},}}")


class _Constant(ValueError):
    """JSON's NaN or Infinity, found while decoding."""


class _Number:
    """A number the file may not hold, kept until its dotted key is known."""

    def __init__(self, text: str, why: str) -> None:
        self.text, self.why = text, why


def _json_int(text: str) -> Any:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        return _Number(text, f"a number with {digits:,} digits (at most {MAX_DIGITS})")
    return int(text)


def _float(text: str) -> Any:
    value = float(text)
    if not math.isfinite(value):
        return _Number(text, f"{text[:20]} is not a finite number")
    return value


def _json_constant(name: str) -> Any:
    raise _Constant(name)


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _dotted(keys: list[Any]) -> str:
    parts = [f"[{k}]" if isinstance(k, int) else str(k) for k in keys]
    if len(parts) > 8:
        parts = [*parts[:6], "…", parts[-1]]
    return ".".join(parts).replace(".[", "[") or "(top level)"


def _check_values(doc: Document, path: Path) -> None:
    """No number the file may not hold, no text that is not Unicode, no nesting beyond
    MAX_DEPTH (iterative)."""
    stack: list[tuple[Any, list[Any]]] = [(doc, [])]
    while stack:
        node, keys = stack.pop()
        if len(keys) > MAX_DEPTH:
            raise ConfigError(
                f"{_dotted(keys)}: nested more than {MAX_DEPTH} levels deep",
                where=str(path),
                hint=VALUE_HINT,
            )
        if isinstance(node, dict):
            for k in node:
                _check_text(k, keys, path)
            stack.extend((v, [*keys, k]) for k, v in reversed(node.items()))
        elif isinstance(node, str):
            _check_text(node, keys, path)
        elif isinstance(node, list):
            stack.extend((v, [*keys, i]) for i, v in reversed(list(enumerate(node))))
        elif isinstance(node, _Number):
            raise ConfigError(f"{_dotted(keys)}: {node.why}", where=str(path), hint=VALUE_HINT)
        elif isinstance(node, int) and abs(node) >= _TOO_MANY_DIGITS:
            raise ConfigError(
                f"{_dotted(keys)}: a number with more than {MAX_DIGITS} digits",
                where=str(path),
                hint=VALUE_HINT,
            )


def _check_text(text: str, keys: list[Any], path: Path) -> None:
    at = lone_surrogate(text)
    if at is not None:
        raise ConfigError(
            f"{_dotted(keys)}: {text[:40]!a} holds a lone surrogate "
            f"({text[at]!a}), which is not a character",
            where=str(path),
            hint=VALUE_HINT,
        )


def _parse_toml(text: str, path: Path) -> Document:
    import tomllib

    try:
        doc: Document = tomllib.loads(text, parse_float=_float)
    except tomllib.TOMLDecodeError as e:
        match = _TOML_POSITION.search(str(e))
        where = f"{path}:{match.group(1)}:{match.group(2)}" if match else str(path)
        message = _TOML_POSITION.sub("", str(e)).strip()
        raise ConfigError(f"invalid TOML: {message}", where=where, hint=SYNTAX_HINT) from e
    except RecursionError as e:
        raise ConfigError("invalid TOML: nested too deeply", where=str(path)) from e
    except ValueError as e:  # an integer past Python's conversion limit
        found = _LONG_DIGITS.search(text)
        at = "{}:{}:{}".format(path, *_position(text, found.start())) if found else str(path)
        raise ConfigError(
            f"invalid TOML: a number with more than {MAX_DIGITS} digits",
            where=at,
            hint=SYNTAX_HINT,
        ) from e
    return doc


def _parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(
            text, parse_int=_json_int, parse_float=_float, parse_constant=_json_constant
        )
    except json.JSONDecodeError as e:
        raise ConfigError(
            f"invalid JSON: {e.msg}", where=f"{path}:{e.lineno}:{e.colno}", hint=SYNTAX_HINT
        ) from e
    except _Constant as e:
        found = next((m for m in _JSON_CONSTANT.finditer(text) if m.group(1)), None)
        line, column = _position(text, found.start()) if found else (1, 1)
        raise ConfigError(
            f"invalid JSON: {e} is not a number (JSON numbers are finite)",
            where=f"{path}:{line}:{column}",
            hint=SYNTAX_HINT,
        ) from None
    except RecursionError as e:
        raise ConfigError("invalid JSON: nested too deeply", where=str(path)) from e


def parse(raw: bytes, path: Path) -> tuple[Document, str | None]:
    """Parse JSON or TOML (by extension); a syntax error names line and column."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"not UTF-8 text (byte {e.start})", where=str(path), hint="save the file as UTF-8"
        ) from e
    if paths.is_toml(path):
        first = text.split("\n", 1)[0].strip()
        found = _DIRECTIVE.fullmatch(first)
        directive = (found.group(1) or "").strip() if found else None
        doc = _parse_toml(text, path)
        _check_values(doc, path)
        return doc, directive
    if not text.strip():
        raise ConfigError(
            "the file is empty", where=f"{path}:1:1", hint="run: zen config init --force"
        )
    parsed = _parse_json(text, path)
    if not isinstance(parsed, dict):
        raise ConfigError("the top level must be an object", where=f"{path}:1:1")
    _check_values(parsed, path)
    return parsed, None
