"""cli/views.py: ``zen config list/show/current/use`` called directly: they read the root
options from the context (defaults for a host that mounted them without), and ``use``
says what it changed, naming the local database as the store will open it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperCommand

from zenconfig.cli import views
from zenconfig.cli.state import Options, remember
from zenconfig.errors import ExitCode


def ctx(opts: Options | None = None) -> typer.Context:
    made = typer.Context(TyperCommand("config"))
    if opts is not None:
        remember(made, opts)
    return made


def write(path: Path, storage: dict[str, Any]) -> Path:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "storage": storage}))
    path.chmod(0o600)
    return path


def two(default: str | None = "p1") -> dict[str, Any]:
    conns = {"p1": {"port": 7001}, "p2": {"port": 7002, "db": 1}}
    redis: dict[str, Any] = {"connections": conns}
    if default:
        redis["default"] = default
    return {"type": "redis" if default else "memory", "redis": redis}


def test_the_reading_views_follow_the_root_options_or_resolve_as_usual(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(config_file, two())
    other = write(tmp_path / "elsewhere" / "zen.json", two(default=None))
    views.current(ctx(), False, True)  # a host without root options: the file decides
    views.current(ctx(Options(project="p2")), False, True)
    views.current(ctx(Options(config=str(other))), False, False)
    assert capsys.readouterr().out == (f"p1\np2\nmemory  (from storage.type 'memory' in {other})\n")
    views.list_(ctx(Options(config=str(other))), True)
    rows = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["port"], r["active"]) for r in rows] == [
        ("p1", 7001, False),
        ("p2", 7002, False),
    ]
    views.show(ctx(Options(memory=True)), None, False, False)
    assert capsys.readouterr().out == "memory store (from --memory)\n"
    views.show(ctx(), "p2", False, True)
    shown = json.loads(capsys.readouterr().out)
    assert (shown["name"], shown["selected"]["source"]) == ("p2", "argument")
    assert {v["field"]: v["value"] for v in shown["values"]}["db"] == 1


def test_use_local_names_the_database_relative_to_the_chosen_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path / "cfg" / "zen.json", {**two(), "local": {"path": "data/zen.db"}})
    views.use(ctx(Options(config=str(config))), None, False, True, False)
    captured = capsys.readouterr()
    database = tmp_path / "cfg" / "data" / "zen.db"
    assert (captured.out, captured.err) == (
        "",
        f"zen: storage is now the local store, {database} (projects are kept)\n",
    )
    assert json.loads(config.read_text())["storage"]["type"] == "local"
    views.use(ctx(Options(config=str(config))), None, True, False, False)
    assert capsys.readouterr().err == "zen: storage is now in memory (projects are kept)\n"
    assert json.loads(config.read_text())["storage"]["type"] == "memory"


def test_use_here_writes_the_project_file_and_says_where(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(config_file, two())
    views.use(ctx(), "p2", False, False, True)
    marker = Path.cwd() / ".zen-project"
    assert capsys.readouterr().err == (
        f"zen: wrote {marker}: 'p2' is used in this directory and below\n"
    )
    assert marker.read_text() == "p2\n"
    assert json.loads(config_file.read_text())["storage"]["redis"]["default"] == "p1"


ONE = "give one of a project NAME, --memory or --local"


@pytest.mark.parametrize(
    ("name", "memory", "local", "here", "code", "message"),
    [
        (None, False, False, False, ExitCode.USAGE, ONE),
        ("p1", True, False, False, ExitCode.USAGE, ONE),
        (None, False, True, True, ExitCode.USAGE, "--here needs a project NAME"),
        ("p9", False, False, False, ExitCode.ERROR, "unknown project 'p9'"),
    ],
)
def test_use_refuses_what_it_cannot_do_and_changes_nothing(
    config_file: Path,
    capsys: pytest.CaptureFixture[str],
    name: str | None,
    memory: bool,
    local: bool,
    here: bool,
    code: int,
    message: str,
) -> None:
    write(config_file, two())
    before = config_file.read_text()
    with pytest.raises(typer.Exit) as done:
        views.use(ctx(), name, memory, local, here)
    assert done.value.exit_code == code
    assert capsys.readouterr().err.startswith(f"zen: error: {message}")
    assert config_file.read_text() == before
    assert not (Path.cwd() / ".zen-project").exists()


@pytest.mark.parametrize("name", ["local", "memory"])
def test_a_project_named_like_a_store_is_reported_as_the_default_project(
    config_file: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    write(config_file, {"type": "memory", "redis": {"connections": {name: {"port": 7003}}}})
    views.use(ctx(), name, False, False, False)
    doc = json.loads(config_file.read_text())
    assert (doc["storage"]["type"], doc["storage"]["redis"]["default"]) == ("redis", name)
    assert capsys.readouterr().err == f"zen: '{name}' is now the default project\n"
