"""zenconfig.migrations.spans: where each value is written in JSON, TOML and .env text."""

from __future__ import annotations

import json
import re

import pytest

from zenconfig.migrations import spans


def test_json_values_give_key_paths_and_exact_spans_with_duplicates_kept() -> None:
    text = (
        '{"a": {"pass\\u0077ord": "s\\/1", "password": "two"},\n'
        ' "l": [1, {"password": null}, true], "n": -2.5e3}'
    )
    found = spans.json_values(text)
    assert [(s.keys, s.value) for s in found] == [
        (("a", "password"), "s/1"),  # the escaped key name decoded, the duplicate kept
        (("a", "password"), "two"),
        (("l", 0), 1),
        (("l", 1, "password"), None),
        (("l", 2), True),
        (("n",), -2500.0),
    ]
    for span in found:  # each span is the value exactly as written
        assert json.loads(text[span.start : span.end]) == span.value
    assert text[found[0].start : found[0].end] == '"s\\/1"'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1} x', "text after the document at offset 8"),
        ('{"a" 1}', "expected ':' at offset 5"),
        ('{"a": 1 "b": 2}', "expected ',' or '}' at offset 8"),
        ("[1 2]", "expected ',' or ']' at offset 3"),
        ('{"a": tru}', "unexpected text at offset 6"),
        ("{1: 2}", "expected a key at offset 1"),
        ("", "unexpected text at offset 0"),
    ],
)
def test_json_values_refuse_what_is_not_json(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        spans.json_values(text)


def test_toml_strings_are_values_only_decoded_as_tomllib_reads_them() -> None:
    text = (
        '# x = "in a comment"\n'
        '["quoted.table"]\n'
        "\"key\" = 'lit\\eral'\n"
        'a."b" = """multi\nline"""\n'
        "c = '''raw ''quotes'''''\n"
        'd = "esc\\tape" # "trailing comment"\n'
    )
    found = spans.toml_strings(text)
    assert [s.value for s in found] == ["lit\\eral", "multi\nline", "raw ''quotes''", "esc\tape"]
    assert [text[s.start : s.end] for s in found] == [
        "'lit\\eral'",
        '"""multi\nline"""',
        "'''raw ''quotes'''''",
        '"esc\\tape"',
    ]
    assert all(s.keys == () for s in found)


def test_an_unterminated_toml_string_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unterminated string at offset 4"):
        spans.toml_strings('a = "open\nb = 1\n')
    with pytest.raises(ValueError, match="unterminated string at offset 4"):
        spans.toml_strings('a = """never closed\n')


def test_the_last_string_of_a_one_line_array_is_a_value() -> None:
    found = spans.toml_strings('c = ["one", "two"]\n')
    assert [s.value for s in found] == ["one", "two"]


def test_env_bindings_tile_the_text_with_keys_values_and_lines() -> None:
    text = '# c\nexport A=1\nB="x\ny"\nbad line!\nA=2'
    found = spans.env_bindings(text)
    assert "".join(text[b.start : b.end] for b in found) == text
    assert [b.start for b in found[1:]] == [b.end for b in found[:-1]]
    assert [(b.key, b.value, b.line, b.error) for b in found] == [
        (None, None, 1, False),
        ("A", "1", 2, False),
        ("B", "x\ny", 3, False),
        (None, None, 5, True),
        ("A", "2", 6, False),
    ]
    assert text[found[2].start : found[2].end] == 'B="x\ny"\n'
    assert spans.env_bindings("") == []
