"""Parsing JSON or TOML text into a plain document; errors name file:line:column."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .. import paths
from ..errors import ConfigError

Document = dict[str, Any]
SCHEMA_DIRECTIVE = "#:schema "
SYNTAX_HINT = "fix the file at that line and column, or run: zen config edit"
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def parse(raw: bytes, path: Path) -> tuple[Document, str | None]:
    """Parse JSON or TOML (by extension); a syntax error names line and column."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"not UTF-8 text (byte {e.start})", where=str(path), hint="save the file as UTF-8"
        ) from e
    if paths.is_toml(path):
        import tomllib

        first = text.split("\n", 1)[0].strip()
        directive = first[len(SCHEMA_DIRECTIVE) :].strip() if first.startswith("#:schema") else None
        try:
            return tomllib.loads(text), directive
        except tomllib.TOMLDecodeError as e:
            match = _TOML_POSITION.search(str(e))
            where = f"{path}:{match.group(1)}:{match.group(2)}" if match else str(path)
            message = _TOML_POSITION.sub("", str(e)).strip()
            raise ConfigError(f"invalid TOML: {message}", where=where, hint=SYNTAX_HINT) from e
    if not text.strip():
        raise ConfigError(
            "the file is empty", where=f"{path}:1:1", hint="run: zen config init --force"
        )
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(
            f"invalid JSON: {e.msg}", where=f"{path}:{e.lineno}:{e.colno}", hint=SYNTAX_HINT
        ) from e
    except RecursionError as e:
        raise ConfigError("invalid JSON: nested too deeply", where=str(path)) from e
    if not isinstance(doc, dict):
        raise ConfigError("the top level must be an object", where=f"{path}:1:1")
    return doc, None
