"""Where each password is written, found by parsing (never by a text pattern).

- JSON: a small parser that records the span and the key path of every value,
  duplicate keys included (``json.loads`` keeps only the last one, but the
  others are still in the text), with key names decoded (``"pass\\u0077ord"``).
- TOML: a lexer that finds every string literal (basic, literal, multi-line)
  outside comments; each literal is decoded by ``tomllib`` itself, so
  ``'literal'``, ``\"\"\"multi-line\"\"\"`` and escapes are read exactly as the
  file means them.
- ``.env``: python-dotenv's own parser, whose bindings tile the text.

The callers verify every replacement by parsing the result again.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Any

Keys = tuple[Any, ...]


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    keys: Keys  # JSON: the value's key path; TOML and .env: ()
    value: Any  # the decoded value (a string for the spans callers replace)


_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)*"')
_SCALAR = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null")


class _Bad(ValueError):
    pass


def _json_value(text: str, i: int, keys: Keys, out: list[Span]) -> int:
    i = _WS.match(text, i).end()  # type: ignore[union-attr]
    char = text[i : i + 1]
    if char == "{":
        return _json_members(text, i + 1, keys, out)
    if char == "[":
        return _json_items(text, i + 1, keys, out)
    match = _STRING.match(text, i) if char == '"' else _SCALAR.match(text, i)
    if match is None:
        raise _Bad(f"unexpected text at offset {i}")
    out.append(Span(match.start(), match.end(), keys, json.loads(match.group())))
    return match.end()


def _json_members(text: str, i: int, keys: Keys, out: list[Span]) -> int:
    i = _WS.match(text, i).end()  # type: ignore[union-attr]
    if text.startswith("}", i):
        return i + 1
    while True:
        match = _STRING.match(text, _WS.match(text, i).end())  # type: ignore[union-attr]
        if match is None:
            raise _Bad(f"expected a key at offset {i}")
        key = json.loads(match.group())
        i = _WS.match(text, match.end()).end()  # type: ignore[union-attr]
        if not text.startswith(":", i):
            raise _Bad(f"expected ':' at offset {i}")
        i = _WS.match(text, _json_value(text, i + 1, (*keys, key), out)).end()  # type: ignore[union-attr]
        if text.startswith(",", i):
            i += 1
        elif text.startswith("}", i):
            return i + 1
        else:
            raise _Bad(f"expected ',' or '}}' at offset {i}")


def _json_items(text: str, i: int, keys: Keys, out: list[Span]) -> int:
    i = _WS.match(text, i).end()  # type: ignore[union-attr]
    if text.startswith("]", i):
        return i + 1
    index = 0
    while True:
        i = _WS.match(text, _json_value(text, i, (*keys, index), out)).end()  # type: ignore[union-attr]
        index += 1
        if text.startswith(",", i):
            i += 1
        elif text.startswith("]", i):
            return i + 1
        else:
            raise _Bad(f"expected ',' or ']' at offset {i}")


def json_values(text: str) -> list[Span]:
    """Every scalar value of a JSON text with its key path (duplicates kept); ValueError
    when the text is not JSON."""
    out: list[Span] = []
    end = _json_value(text, 0, (), out)
    if text[end:].strip():
        raise _Bad(f"text after the document at offset {end}")
    return out


# -- TOML -------------------------------------------------------------------

_TOML_DELIMITERS = ('"""', "'''", '"', "'")


def _toml_string_end(text: str, i: int, quote: str) -> int:
    """The end of the string literal opening at ``i`` with ``quote``."""
    j = i + len(quote)
    escapes = quote.startswith('"')
    while j < len(text):
        if escapes and text[j] == "\\":
            j += 2
            continue
        if text.startswith(quote, j):
            end = j + len(quote)
            if len(quote) == 3:  # up to two more quotes belong to the content
                while end < len(text) and text[end] == quote[0] and end - j < 5:
                    end += 1
            return end
        if len(quote) == 1 and text[j] == "\n":
            break
        j += 1
    raise _Bad(f"unterminated string at offset {i}")


def toml_strings(text: str) -> list[Span]:
    """Every string literal of a TOML text that is a value (not a key), decoded."""
    import tomllib

    out: list[Span] = []
    i = 0
    in_value = False  # after a key's "=", until the end of its line outside brackets
    depth = 0  # brackets and braces open inside the value
    while i < len(text):
        char = text[i]
        if char == "#":
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline
            continue
        if char == "=" and depth == 0:
            in_value = True
        elif char in "[{" and in_value:
            depth += 1
        elif char in "]}" and depth:
            depth -= 1
        elif char == "\n" and depth == 0:
            in_value = False
        quote = next((q for q in _TOML_DELIMITERS if text.startswith(q, i)), None)
        if quote is None:
            i += 1
            continue
        end = _toml_string_end(text, i, quote)
        after = text[end:].lstrip(" \t")
        key = after.startswith(("=", ".")) or (not in_value and after.startswith("]"))
        if not key:  # a key, a dotted key's part or a table name otherwise
            value = tomllib.loads("x = " + text[i:end])["x"]
            out.append(Span(i, end, (), value))
        i = end
    return out


# -- .env -------------------------------------------------------------------


@dataclass(frozen=True)
class Binding:
    start: int
    end: int
    key: str | None
    value: str | None
    line: int
    error: bool


def env_bindings(text: str) -> list[Binding]:
    """python-dotenv's bindings of ``text``, with their spans (they tile the text)."""
    from dotenv.parser import parse_stream

    out: list[Binding] = []
    offset = 0
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original
        end = offset + len(original.string)
        out.append(Binding(offset, end, binding.key, binding.value, original.line, binding.error))
        offset = end
    if offset != len(text):
        raise _Bad("the .env parser did not account for the whole text")
    return out
