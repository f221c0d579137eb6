"""zenconfig.configfile.parsing: JSON/TOML text to a document, errors at file:line:column or key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zenconfig.configfile import parsing
from zenconfig.configfile.parsing import MAX_DEPTH, MAX_DIGITS, SYNTAX_HINT, VALUE_HINT, parse
from zenconfig.errors import ConfigError, ExitCode

JSON = Path("/cfg/config.json")
TOML = Path("/cfg/config.toml")


def _error(raw: bytes, path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse(raw, path)
    assert info.value.exit_code == ExitCode.INVALID_CONFIG
    return info.value


def test_a_json_syntax_error_names_line_and_column_in_characters() -> None:
    text = '{\n  "version": 1,\n  "name": "é✓ü", "x" 1\n}\n'
    error = _error(text.encode("utf-8"), JSON)
    line = text.splitlines()[2]
    column = line.index('"x"') + len('"x"') + 2  # after the key and its space: where ':' belongs
    assert error.message == "invalid JSON: Expecting ':' delimiter"
    assert error.where == f"{JSON}:3:{column}"  # characters, not bytes: é, ✓ and ü are one each
    assert len(line[: column - 1].encode("utf-8")) != column - 1
    assert error.hint == SYNTAX_HINT


def test_the_nan_named_is_the_number_not_the_text_in_a_string() -> None:
    text = '{"note": "NaN and \\"Infinity\\" in a string",\n "v": [1, -Infinity]}'
    error = _error(text.encode(), JSON)
    column = text.splitlines()[1].index("-Infinity") + 1
    assert error.message == "invalid JSON: -Infinity is not a number (JSON numbers are finite)"
    assert error.where == f"{JSON}:2:{column}"


def test_bytes_that_are_not_utf8_name_their_offset() -> None:
    raw = b'{"version": 1, "x": "caf\xe9"}'
    error = _error(raw, JSON)
    assert error.message == f"not UTF-8 text (byte {raw.index(0xE9)})"
    assert (error.where, error.hint) == (str(JSON), "save the file as UTF-8")


def test_a_toml_error_moves_its_position_into_where() -> None:
    error = _error(b"version = 1\nfallback = = 2\n", TOML)
    assert error.where == f"{TOML}:2:12"
    assert error.message == "invalid TOML: Invalid value"
    assert "at line" not in error.message


def test_toml_schema_directive_and_empty_files() -> None:
    assert parse(b"#:schema   ./zen-config.schema.json  \nversion = 1\n", TOML) == (
        {"version": 1},
        "./zen-config.schema.json",
    )
    assert parse(b"# a comment\nversion = 1\n", TOML) == ({"version": 1}, None)
    assert parse(b"version = 1  #:schema x\n", TOML) == ({"version": 1}, None)
    assert parse(b"", TOML) == ({}, None)  # an empty TOML file is an empty table...
    error = _error(b" \n\t\n", JSON)  # ...an empty JSON file is not a document at all
    assert (error.message, error.where) == ("the file is empty", f"{JSON}:1:1")


def test_json_integers_are_limited_by_their_digits_not_their_sign() -> None:
    at_limit = "9" * MAX_DIGITS
    assert parse(f'{{"x": -{at_limit}}}'.encode(), JSON)[0] == {"x": -int(at_limit)}
    error = _error(f'{{"storage": {{"n": [0, -1{"0" * MAX_DIGITS}]}}}}'.encode(), JSON)
    assert error.message == f"storage.n[1]: a number with 101 digits (at most {MAX_DIGITS})"
    assert (error.where, error.hint) == (str(JSON), VALUE_HINT)


def test_a_directive_without_its_space_is_never_cut_short() -> None:
    assert parse(b"#:schema./s.json\nversion = 1\n", TOML)[1] in (None, "./s.json")


def test_toml_integers_have_the_same_digit_limit_as_json() -> None:
    error = _error(f"x = 1{'0' * MAX_DIGITS}\n".encode(), TOML)
    assert "x: a number with more than 100 digits" in error.message


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        (b'{"storage": {"x": [1, 1e999]}}', JSON, "storage.x[1]: 1e999 is not a finite number"),
        (b"[storage]\nx = [1, -inf]\n", TOML, "storage.x[1]: -inf is not a finite number"),
        (b"[s]\nt = { u = nan }\n", TOML, "s.t.u: nan is not a finite number"),
    ],
)
def test_a_non_finite_number_is_named_by_its_key(raw: bytes, path: Path, message: str) -> None:
    error = _error(raw, path)
    assert (error.message, error.where, error.hint) == (message, str(path), VALUE_HINT)


def _nested(levels: int) -> str:
    return '{"a": ' * levels + "1" + "}" * levels


def test_nesting_is_allowed_to_exactly_max_depth() -> None:
    doc: Any = parse(_nested(MAX_DEPTH).encode(), JSON)[0]
    for _ in range(MAX_DEPTH):
        doc = doc["a"]
    assert doc == 1
    error = _error(_nested(MAX_DEPTH + 1).encode(), JSON)
    assert error.message == f"a.a.a.a.a.a.….a: nested more than {MAX_DEPTH} levels deep"
    lists = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    error = _error(f'{{"k": {lists}}}'.encode(), JSON)
    head, _, tail = error.message.partition("…")  # list indexes are shortened the same way
    assert head.startswith("k[0][0][0][0][0]")
    assert tail == f"[0]: nested more than {MAX_DEPTH} levels deep"


def test_the_top_level_of_json_must_be_an_object() -> None:
    for raw in (b"[]", b'"text"', b"1", b"null"):
        error = _error(raw, JSON)
        assert (error.message, error.where) == ("the top level must be an object", f"{JSON}:1:1")
    assert parsing.parse(b'{"a": null}', JSON) == ({"a": None}, None)
