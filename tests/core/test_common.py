"""zenconfig.core.common: the invocation's Context and the document helpers use cases share."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from zenconfig import defaults
from zenconfig.core.common import (
    Context,
    PasswordInput,
    check_name,
    configure_process,
    connections,
    password_summary,
    require_entry,
    require_spec,
)
from zenconfig.errors import ExitCode, UnknownProjectError, UsageError
from zenconfig.rules import NAME_MAX


def test_context_create_says_where_the_path_came_from(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = Context.create("~/elsewhere/zen.toml", project="p1", memory=False, local=True)
    assert (ctx.config_path, ctx.path_source) == (home / "elsewhere" / "zen.toml", "--config")
    assert (ctx.project, ctx.memory, ctx.local, ctx.cwd) == ("p1", False, True, None)
    monkeypatch.setenv("ZEN_CONFIG", "~/env.json")
    ctx = Context.create()
    assert (ctx.config_path, ctx.path_source) == (home / "env.json", "ZEN_CONFIG")
    monkeypatch.delenv("ZEN_CONFIG")
    assert Context.create().path_source == "default"


def test_a_loader_reads_the_file_once(write_config: Callable[..., Path]) -> None:
    path = write_config({"p1": {"port": 7001}}, default="p1")
    ctx = Context.create(str(path))
    load = ctx.loader()
    first = load()
    doc = json.loads(path.read_text())
    doc["storage"]["redis"]["connections"]["p1"]["port"] = 7002
    path.write_text(json.dumps(doc))
    assert load() is first  # one invocation sees one version of the file
    assert first.document["storage"]["redis"]["connections"]["p1"]["port"] == 7001
    assert ctx.loader()().document["storage"]["redis"]["connections"]["p1"]["port"] == 7002


def test_password_input_reference_env_then_command_then_keyring() -> None:
    command = ["pass", "show", "redis"]
    both = PasswordInput(secret="hunter2-x", env="REDIS_PW", command=command)
    assert both.reference("p1") == {"source": "env", "env": "REDIS_PW"}
    by_command = PasswordInput(command=command).reference("p1")
    assert by_command == {"source": "command", "command": command}
    assert by_command["command"] is not command  # the document gets its own list
    assert PasswordInput(secret="hunter2-x").reference("p1") == {
        "source": "keyring",
        "service": defaults.KEYRING_SERVICE,
        "username": "p1",
    }
    assert "hunter2-x" not in repr(both)


def test_connections_makes_the_path_for_writers_and_keeps_what_is_there() -> None:
    doc: dict[str, Any] = {"version": 1}
    conns = connections(doc)
    conns["p1"] = {"port": 7000}
    assert doc == {"version": 1, "storage": {"redis": {"connections": {"p1": {"port": 7000}}}}}
    existing = {"storage": {"type": "redis", "redis": {"default": "p1", "connections": conns}}}
    assert connections(existing) is conns
    assert existing["storage"]["type"] == "redis"


def test_require_entry_returns_the_entry_or_names_the_unknown_project() -> None:
    entry = {"host": "cache.local", "port": 6390}
    doc = {"version": 1, "storage": {"redis": {"connections": {"prod": entry, "dev": {}}}}}
    assert require_entry(doc, "prod") is entry  # the document's own: writers edit it in place
    spec = require_spec(doc, "dev")
    assert (spec.name, spec.host, spec.port) == ("dev", defaults.HOST, defaults.PORT)
    with pytest.raises(UnknownProjectError) as info:
        require_entry(doc, "prd", where="storage.redis.default")
    assert info.value.message == "unknown project 'prd'"
    assert info.value.where == "storage.redis.default"
    assert info.value.hint == "did you mean 'prod'? Known projects: dev, prod"
    with pytest.raises(UnknownProjectError) as info:
        require_spec({"version": 1}, "p1")
    assert info.value.hint == "add it with: zen config add-project p1"


def test_check_name_accepts_the_pattern_up_to_name_max() -> None:
    for good in ("p1", "my-project_2.prod", "x" * NAME_MAX):
        check_name(good)
    for bad in ("", "has space", "x" * (NAME_MAX + 1), "p1\n", "a/b", "é"):
        with pytest.raises(UsageError) as info:
            check_name(bad)
        assert info.value.exit_code == ExitCode.USAGE
        assert info.value.hint == f"use letters, digits, '_', '.' and '-' (at most {NAME_MAX})"
    with pytest.raises(UsageError) as info:
        check_name("evil\x1b[31m" + "y" * 100)
    assert info.value.message == "'evil\\x1b[31m" + "y" * 71 + "…' is not a valid project name"


def test_password_summary_names_the_source() -> None:
    assert password_summary(None) == "none"
    assert password_summary({"source": "keyring", "username": "p1@abc"}) == (
        f"keyring:{defaults.KEYRING_SERVICE}/p1@abc"
    )
    assert password_summary({"source": "keyring", "service": "svc", "username": "u"}) == (
        "keyring:svc/u"
    )
    assert password_summary({"source": "env", "env": "REDIS_PW"}) == "env:REDIS_PW"
    ref = {"source": "command", "command": ["/usr/local/bin/pw-tool", "--secret-arg"]}
    assert password_summary(ref) == "command:pw-tool"  # never the arguments


def test_configure_process_sets_what_open_storage_selects(
    write_config: Callable[..., Path],
) -> None:
    from zenconfig.runtime import opening

    path = write_config({"p1": {}, "p2": {}}, default="p1")
    configure_process(str(path), "p2", memory=False)
    selection, _ = opening.select()
    assert (selection.backend, selection.project) == ("redis", "p2")
    configure_process(str(path), None, memory=True)
    assert opening.select()[0].backend == "memory"
    configure_process(str(path), None, memory=False, local=True)
    assert opening.select()[0].backend == "local"
