"""zenconfig.migrations.scrub: a JSON or TOML file's backup and dry-run view, no password left."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import pytest

from zenconfig.errors import ConfigError, ExitCode
from zenconfig.migrations import scrub


def _note(project: str) -> str:
    return f"moved for {project}"


def _legacy(**passwords: str) -> dict[str, Any]:
    conns = {name: {"host": "h", "password": pw} for name, pw in passwords.items()}
    return {"storage": {"type": "redis", "redis": {"default": "p1", "connections": conns}}}


def test_leaks_finds_every_spelling_of_a_password() -> None:
    secret = 'pä/ss"wörd\nline-two'
    for spelling in (
        'pä/ss"wörd',  # a line of it, raw
        "line-two",
        json.dumps(secret)[1:-1],  # JSON-escaped
        json.dumps(secret)[1:-1].replace("/", "\\/"),  # with an escaped slash
        json.dumps(secret, ensure_ascii=True)[1:-1],  # \u00e4 escapes
    ):
        assert scrub.leaks(f"before {spelling} after", {secret}), spelling
    assert not scrub.leaks("nothing here", {secret})
    assert not scrub.leaks("anything", set())


def test_short_passwords_are_not_searched_as_text_but_as_written_they_are() -> None:
    assert len("abc12") < scrub.MIN_SEARCHED
    assert not scrub.leaks("abc12 appears here", {"abc12"})
    assert scrub.leaks("x 'abc12' x", {"abc12"}, written={"'abc12'"})
    assert not scrub.leaks("x ab x", set(), written={"ab"})  # a short spelling neither
    # an escaped spelling is long enough to be searched even when the password is not
    assert scrub.leaks('"p\\u00e4ss"', {"päss"})


def test_password_values_are_strings_under_password_keys_anywhere() -> None:
    document = {
        "a": {"password": "one"},
        "b": [{"x": {"password": "two"}}, {"password": {"source": "env", "env": "PW"}}],
        "password": 7,
    }
    assert scrub.password_values(document) == [
        (("a", "password"), "one"),
        (("b", 0, "x", "password"), "two"),
    ]


def test_json_backup_keeps_the_layout_and_notes_only_the_taken_password() -> None:
    text = (
        "{\n"
        '  "storage": {"type": "redis", "redis": {"default": "p1", "connections": {\n'
        '    "p1": {"host": "h",   "password": "p1-s3cret"},\n'
        '    "p2": {"host": "h", "password": "p2-s3cret"}\n'
        "  }}}\n"
        "}\n"
    )
    document = json.loads(text)
    backup = scrub.document(text, document, {"p1": "p1-s3cret"}, _note, toml=False, mask=False)
    assert not backup.rewritten
    assert backup.text == text.replace('"p1-s3cret"', '"moved for p1"').replace(
        '"p2-s3cret"', f'"{scrub.DROPPED}"'
    )
    view = scrub.document(text, document, {"p1": "p1-s3cret"}, _note, toml=False, mask=True)
    assert view.text == text.replace("p1-s3cret", scrub.MASK).replace("p2-s3cret", scrub.MASK)
    # a note is for the value that was taken: a different one in the file is dropped
    other = scrub.document(text, document, {"p1": "not-in-file"}, _note, toml=False, mask=False)
    assert '"moved for p1"' not in other.text and other.text.count(scrub.DROPPED) == 2


def test_json_duplicate_keys_the_one_in_use_gets_the_note() -> None:
    pair = '"password": "old-s3cret", "password": "new-s3cret"'
    text = '{"storage": {"redis": {"connections": {"p1": {' + pair + "}}}}}"
    document = json.loads(text)  # the last one is in use
    backup = scrub.document(text, document, {"p1": "new-s3cret"}, _note, toml=False, mask=False)
    assert not backup.rewritten
    assert backup.text == text.replace("old-s3cret", scrub.DROPPED).replace(
        "new-s3cret", "moved for p1"
    )


def test_toml_password_in_a_comment_is_rewritten_from_the_document() -> None:
    text = (
        "# it used to be toml-s3cret\n"
        '[storage.redis.connections.p1]\nhost = "h"\npassword = "toml-s3cret"\n'
    )
    document = tomllib.loads(text)
    backup = scrub.document(text, document, {"p1": "toml-s3cret"}, _note, toml=True, mask=False)
    assert backup.rewritten
    assert "toml-s3cret" not in backup.text and "#" not in backup.text
    assert tomllib.loads(backup.text) == {
        "storage": {"redis": {"connections": {"p1": {"host": "h", "password": "moved for p1"}}}}
    }


def test_a_password_used_as_a_key_name_too_is_refused() -> None:
    document = _legacy(p1="key-s3cret")
    document["storage"]["redis"]["connections"]["key-s3cret"] = {"host": "h"}
    text = json.dumps(document, indent=2)
    with pytest.raises(ConfigError) as info:
        scrub.document(text, document, {"p1": "key-s3cret"}, _note, toml=False, mask=False)
    assert info.value.message == (
        "a password of this file also appears elsewhere in it; nothing was changed"
    )
    assert info.value.exit_code == ExitCode.INVALID_CONFIG
    assert "key-s3cret" not in str(info.value) + (info.value.hint or "")


def test_a_short_password_that_is_also_another_value_is_refused() -> None:
    document = _legacy(p1="abc12")
    document["storage"]["redis"]["connections"]["p1"]["client_name"] = "abc12"
    text = json.dumps(document)
    with pytest.raises(ConfigError, match="also appears elsewhere"):
        scrub.document(text, document, {"p1": "abc12"}, _note, toml=False, mask=False)
