"""Project commands about files and secrets: rename, remove, passwords, messages."""

from __future__ import annotations

import json
from pathlib import Path

from zenconfig.errors import ExitCode


def _write(path: Path, connections: dict, default: str | None = None) -> None:
    redis: dict = {"connections": connections}
    if default:
        redis["default"] = default
    doc = {"version": 1, "storage": {"type": "redis" if default else "memory", "redis": redis}}
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    path.chmod(0o600)


def test_rename_keeps_a_derived_prefix(zen, config_file: Path) -> None:
    """A prefix never written (derived from the name) must not change with the name."""
    _write(config_file, {"p1": {"host": "127.0.0.1"}}, default="p1")
    assert zen("config", "get", "p1", "key_prefix").out == "zen:p1:\n"
    r = zen("config", "rename-project", "p1", "p2")
    assert r.code == 0, r
    assert "key prefix 'zen:p1:' written into the entry" in r.err
    assert "the key prefix is unchanged" in r.err
    assert zen("config", "get", "p2", "key_prefix").out == "zen:p1:\n"
    entry = json.loads(config_file.read_text())["storage"]["redis"]["connections"]["p2"]
    assert entry["key_prefix"] == "zen:p1:"


def test_rename_of_an_unknown_project(zen, config_file: Path) -> None:
    _write(config_file, {"p1": {}})
    r = zen("config", "rename-project", "nope", "p2")
    assert r.code == ExitCode.ERROR
    assert "unknown project 'nope'" in r.err
