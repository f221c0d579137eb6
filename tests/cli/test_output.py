"""cli/output.py: what the reading commands print, as lines for stdout and stderr."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from zenconfig.cli import output
from zenconfig.errors import UnknownProjectError, ZenConfigError
from zenconfig.runtime.resolver import Selection


def _row(name: str, **changes: Any) -> dict[str, Any]:
    row = {
        "name": name,
        "active": False,
        "tls": False,
        "address": "127.0.0.1:6379/0",
        "key_prefix": f"zen:{name}:",
        "conversation_ttl_seconds": 10800,
        "password": "none",
    }
    row.update(changes)
    return row


def test_lines_are_escaped_but_tables_keep_their_breaks() -> None:
    built = (
        output.Output()
        .data("NAME\nx\x1b[2Jy\u202e")
        .note("bell\x07")
        .warn("tab\there")
        .json({"v": "a\x1bb", "ü": "é"})
    )
    assert built.out == ["NAME\nx\\x1b[2Jy\\u202e", '{\n  "v": "a\\u001bb",\n  "ü": "é"\n}']
    assert built.err == ["zen: bell\\x07", "zen: warning: tab\\x09here"]


def test_an_error_is_its_message_its_details_and_its_hint() -> None:
    error = ZenConfigError(
        "config file is invalid\x1b]0;t\x07",
        where="/h/.zen-cli/config.json",
        details=["  port: must be <= 65535", "  db: must be >= 0"],
        hint="fix the key above",
    )
    assert output.error(error).err == [
        "zen: error: config file is invalid\\x1b]0;t\\x07 (/h/.zen-cli/config.json)",
        "  port: must be <= 65535",
        "  db: must be >= 0",
        "hint: fix the key above",
    ]
    assert output.error(ZenConfigError("no hint")).err == ["zen: error: no hint"]
    assert output.error(UnknownProjectError("p11", ["p1", "p2"])).err[-1] == (
        "hint: did you mean 'p1'? Known projects: p1, p2"
    )


def test_error_lines_escape_the_text_and_the_hint() -> None:
    assert output.error_lines("first\x1b[1m\n  second", "run: zen\u202e") == [
        "zen: error: first\\x1b[1m",
        "  second",
        "hint: run: zen\\u202e",
    ]
    assert output.error_lines("alone") == ["zen: error: alone"]


def test_deliver_writes_messages_then_data_and_returns_the_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with (tmp_path / "both").open("w", encoding="utf-8") as both, monkeypatch.context() as patch:
        patch.setattr(sys, "stdout", both)
        patch.setattr(sys, "stderr", both)
        code = output.deliver(output.Output().data("row 1\nrow 2").warn("stale"), 3)
    assert code == 3
    assert (tmp_path / "both").read_text() == "zen: warning: stale\nrow 1\nrow 2\n"


def test_deliver_to_a_reader_that_went_away_is_141_and_silent(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(write_end, "w", encoding="utf-8") as gone, monkeypatch.context() as patch:
        patch.setattr(sys, "stdout", gone)
        code = output.deliver(output.Output().data("x" * 100_000).note("done"), 0)
        assert code == output.BROKEN_PIPE == 141
        gone.write("later output\n")
        gone.flush()  # stdout now leads to /dev/null: no second BrokenPipeError
    assert capsys.readouterr().err == "zen: done\n"


def test_listing_marks_the_current_project_tls_and_the_ttl() -> None:
    rows = [
        _row("a", active=True, tls=True, conversation_ttl_seconds=5400),
        _row("bb", password="keyring", conversation_ttl_seconds=90),
    ]
    shown = output.listing(rows, as_json=False)
    assert shown.err == []
    assert shown.out == [
        "CURRENT  NAME  ADDRESS               PREFIX   TTL     PASSWORD\n"
        "*        a     tls 127.0.0.1:6379/0  zen:a:   1h 30m  none\n"
        "         bb    127.0.0.1:6379/0      zen:bb:  1m 30s  keyring"
    ]
    assert json.loads(output.listing(rows, as_json=True).out[0]) == rows
    empty = output.listing([], as_json=False)
    assert empty.out == [] and empty.err[0].startswith("zen: no projects yet; add one: ")
    assert output.listing([], as_json=True).out == ["[]"]


def test_current_short_detail_and_json() -> None:
    chosen = Selection("redis", "p2", "env", "ZEN_PROJECT=p2")
    assert output.current(chosen, as_json=False, short=True).out == ["p2"]
    assert output.current(chosen, as_json=False, short=False).out == ["p2  (from ZEN_PROJECT=p2)"]
    assert json.loads(output.current(chosen, as_json=True, short=True).out[0]) == {
        "backend": "redis",
        "project": "p2",
        "source": "env",
        "detail": "ZEN_PROJECT=p2",
    }
    memory = Selection("memory", None, "flag", "--memory")
    assert output.current(memory, as_json=False, short=True).out == ["memory"]


def _shown(source: str, password: str | None, warnings: list[str]) -> dict[str, Any]:
    return {
        "name": "p1",
        "backend": "redis",
        "selected": {"backend": "redis", "project": "p1", "source": source, "detail": "x.json"},
        "file": "/h/.zen-cli/config.json",
        "values": [
            {"field": "port", "value": 6380, "source": "file"},
            {"field": "tls.enabled", "value": False, "source": "default"},
            {"field": "nodes", "value": None, "source": "default"},
            {"field": "key_prefix", "value": "zen:p1:", "source": "default"},
        ],
        "password": {"source": "keyring:zen-cli/p1", "value": password},
        "warnings": warnings,
    }


def test_showing_a_project_renders_values_and_its_password_source() -> None:
    shown = output.showing(_shown("argument", None, ["TLS verification is OFF"]), as_json=False)
    assert shown.err == ["zen: warning: TLS verification is OFF"]
    assert shown.out == [
        "project  p1  (named on the command line)",
        "file     /h/.zen-cli/config.json",
        "",
        "FIELD        VALUE    SOURCE\n"
        "port         6380     file\n"
        "tls.enabled  false    default\n"
        "nodes        null     default\n"
        "key_prefix   zen:p1:  default\n"
        "password     -        keyring:zen-cli/p1",
    ]
    masked = output.showing(_shown("default", "********", []), as_json=False)
    assert masked.err == []
    assert masked.out[0] == "project  p1  (from x.json)"
    assert masked.out[-1].splitlines()[-1].split() == ["password", "********", "keyring:zen-cli/p1"]
    local = {"backend": "local", "selected": {"detail": "storage.type 'local' in f.json"}}
    assert output.showing(local, as_json=False).out == [
        "local store (from storage.type 'local' in f.json)"
    ]


@pytest.mark.parametrize(
    ("value", "text", "as_json"),
    [("zen:p1:", "zen:p1:", '"zen:p1:"'), (True, "true", "true"), ([1, 2], "[1, 2]", "[1, 2]")],
)
def test_a_field_value_is_bare_text_or_json(value: Any, text: str, as_json: str) -> None:
    assert output.field_value("p1", "f", value, as_json=False).out == [text]
    assert json.loads(output.field_value("p1", "f", value, as_json=True).out[0]) == {
        "project": "p1",
        "field": "f",
        "value": json.loads(as_json),
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("/w/.zen-project", "p1", True), "wrote /w/.zen-project: 'p1' is used in this directory"),
        (("memory", None, False), "storage is now in memory (projects are kept)"),
        (("local", None, False, "/h/l.db"), "storage is now the local store, /h/l.db (projects"),
        (("local", None, False), "storage is now the local store, storage.local.path (projects"),
        (("p2", "p2", False), "'p2' is now the default project"),
        (("memory", "memory", False), "'memory' is now the default project"),
        (("local", "local", False), "'local' is now the default project"),
    ],
)
def test_used_says_what_changed(args: tuple[Any, ...], message: str) -> None:
    said = output.used(*args)
    assert said.out == []
    assert len(said.err) == 1 and said.err[0].startswith("zen: " + message)
