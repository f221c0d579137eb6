"""zenconfig.core.views: the rows of list, what show reports and where each value comes
from, test-connection's choice of projects (against a real redis-server), doctor's counts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import servers
from zenconfig import defaults
from zenconfig.core import Context
from zenconfig.core import views as core
from zenconfig.errors import ExitCode, UnknownProjectError, UsageError, ZenConfigError


@pytest.fixture(autouse=True)
def no_zen_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """zen's REDIS_* variables stand in for a missing default file: none unless a test sets them."""
    from zenconfig.runtime import zenenv

    for name in zenenv.VARIABLES:
        monkeypatch.delenv(name, raising=False)


def _write(path: Path, document: dict[str, object]) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    path.chmod(0o600)


def test_list_rows_tell_the_default_from_the_active_project(config_file: Path) -> None:
    connections = {
        "b": {"host": "::1", "password": {"source": "env", "env": "B_PW"}},
        "a": {"port": 7000, "db": 3, "key_prefix": "app:", "conversation_ttl_seconds": 60},
        "c": {"password": {"source": "command", "command": ["/opt/bin/secret-tool", "x"]}},
    }
    document = {
        "version": 1,
        "storage": {"type": "redis", "redis": {"default": "a", "connections": connections}},
    }
    _write(config_file, document)
    ctx = Context(config_file)
    rows = core.list_projects(ctx)
    assert [r["name"] for r in rows] == ["a", "b", "c"]
    a, b, _ = rows
    assert (a["default"], a["active"], b["default"], b["active"]) == (True, True, False, False)
    assert (a["address"], a["key_prefix"], a["conversation_ttl_seconds"]) == (
        f"{defaults.HOST}:7000/3",
        "app:",
        60,
    )
    assert (b["address"], b["key_prefix"], b["port"]) == ("[::1]:6379/0", "zen:b:", defaults.PORT)
    assert [(r["password_source"], r["password"]) for r in rows] == [
        (None, "none"),
        ("env", "env:B_PW"),
        ("command", "command:secret-tool"),
    ]
    document["storage"]["type"] = "memory"  # type: ignore[index]
    _write(config_file, document)
    a = core.list_projects(ctx)[0]
    assert (a["default"], a["active"]) == (True, False)  # the default, but memory is in use
    assert core.list_projects(Context(config_file.with_name("none.json"))) == []


def test_show_gives_each_value_its_source(
    write_config: Callable[..., Path], config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tls = {"enabled": True, "verify": False}
    password = {"source": "env", "env": "P1_PW"}
    write_config({"p1": {"port": 7000, "tls": tls, "password": password}})
    monkeypatch.setenv("P1_PW", "s3cret-value")
    ctx = Context(config_file)
    shown = core.show(ctx, "p1")
    values = {v["field"]: (v["value"], v["source"]) for v in shown["values"]}
    assert values["port"] == (7000, "file")
    assert values["tls.verify"] == (False, "file")
    assert values["host"] == (defaults.HOST, "default")
    assert values["key_prefix"] == ("zen:p1:", "default")
    assert values["timeouts.socket_seconds"] == (defaults.SOCKET_TIMEOUT_SECONDS, "default")
    assert "password" not in values
    assert shown["password"] == {"source": "env:P1_PW", "value": "********"}
    assert shown["selected"] == {
        "backend": "redis",
        "project": "p1",
        "source": "argument",
        "detail": "p1",
    }
    assert shown["warnings"] == ["TLS certificate verification is OFF (tls.verify = false)"]
    assert shown["file"] == str(config_file)
    assert core.show(ctx, "p1", reveal=True)["password"]["value"] == "s3cret-value"
    with pytest.raises(UnknownProjectError):
        core.show(ctx, "p2")


def test_show_without_a_name_follows_the_selection(
    write_config: Callable[..., Path], config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = core.show(Context(config_file, memory=True))
    assert memory == {
        "backend": "memory",
        "selected": {"backend": "memory", "project": None, "source": "flag", "detail": "--memory"},
    }
    # no config file: zen's own REDIS_* variables describe project 'zen'
    monkeypatch.setenv("REDIS_HOST", "redis.internal")
    monkeypatch.setenv("ZEN_STORAGE_TYPE", "redis")
    shown = core.show(Context(config_file))
    assert (shown["name"], shown["selected"]["project"]) == ("zen", "zen")
    values = {v["field"]: (v["value"], v["source"]) for v in shown["values"]}
    assert values["host"] == ("redis.internal", "environment")
    assert values["max_turns"] == (defaults.MAX_TURNS, "default")
    assert shown["password"] == {"source": "none", "value": None}
    write_config({"p1": {}, "p2": {"db": 1}}, default="p1")
    monkeypatch.delenv("ZEN_STORAGE_TYPE")
    assert core.show(Context(config_file, project="p2"))["selected"]["source"] == "flag"
    assert core.current(Context(config_file)).project == "p1"


@pytest.mark.parametrize("timeout", [0.0, -1.0, 601.0, float("nan"), float("inf")])
def test_a_bad_timeout_is_refused_before_anything_runs(timeout: float, tmp_path: Path) -> None:
    ctx = Context(tmp_path / "missing.json", "--config")  # never read
    for call in (
        lambda: core.test_connections(ctx, "p1", timeout=timeout),
        lambda: core.doctor(ctx, timeout=timeout),
    ):
        with pytest.raises(UsageError, match="--timeout must be a number of seconds above 0"):
            call()


def test_which_projects_test_connection_checks(
    write_config: Callable[..., Path],
    config_file: Path,
    redis_server: servers.Server,
    unique_prefix: str,
) -> None:
    ctx = Context(config_file)
    with pytest.raises(ZenConfigError) as none:
        core.test_connections(ctx, every=True)
    assert (none.value.message, none.value.exit_code) == ("no projects to test", ExitCode.ERROR)
    with pytest.raises(UsageError) as memory:
        core.test_connections(ctx)
    assert memory.value.message.startswith("nothing to test: storage is memory (from ")
    live = {"port": redis_server.port, "key_prefix": unique_prefix}
    write_config({"up": live, "down": {"port": servers.free_port()}}, default="up")
    with pytest.raises(UsageError, match="give a project NAME or --all, not both"):
        core.test_connections(ctx, "up", every=True)
    with pytest.raises(UnknownProjectError):
        core.test_connections(ctx, "upp")
    [selected] = core.test_connections(ctx)
    assert (selected.project, selected.ok) == ("up", True)
    assert selected.address == f"127.0.0.1:{redis_server.port}/0"
    reports = core.test_connections(ctx, every=True, timeout=2)
    assert [(r.project, r.ok, r.kind) for r in reports] == [
        ("down", False, "unreachable"),
        ("up", True, "ok"),
    ]
    assert redis_server.cli("--scan", "--pattern", unique_prefix + "*") == ""


def test_doctor_counts_its_findings(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    findings, counts = core.doctor(Context(missing, "--config"))
    assert counts["findings"] == [f.as_dict() for f in findings]
    assert counts["ok"] + counts["warn"] + counts["fail"] == len(findings)
    assert counts["findings"][0] == {
        "check": "config file",
        "status": "fail",
        "detail": f"{missing} does not exist (named by --config)",
    }
    assert counts["fail"] >= 1
