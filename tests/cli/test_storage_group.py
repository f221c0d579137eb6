"""zenconfig.cli.storage_group: the ``zen storage`` app (help when no command is given) and the
options its commands share, ``--project/-p NAME`` and ``--json``, spelled one way."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from zenconfig.cli.storage_group import JsonOpt, ProjectOpt


def _probe() -> typer.Typer:
    """A command of its own built from the shared options, echoing what they parsed."""
    probe = typer.Typer(rich_markup_mode=None)  # plain help, as every zen app

    @probe.command()
    def cmd(project: ProjectOpt = None, as_json: JsonOpt = False) -> None:
        typer.echo(json.dumps([project, as_json]))

    return probe


def test_the_shared_options_parse_every_spelling_and_default_to_none_and_false() -> None:
    runner = CliRunner()
    for argv, parsed in [
        ([], [None, False]),
        (["--project", "p1"], ["p1", False]),
        (["-p", "p2", "--json"], ["p2", True]),
        (["--project=p3", "--json"], ["p3", True]),
    ]:
        done = runner.invoke(_probe(), argv)
        assert (done.exit_code, json.loads(done.stdout)) == (0, parsed), argv
    done = runner.invoke(_probe(), ["--json=yes"])
    assert done.exit_code == 2  # --json is a flag and takes no value
    shown = " ".join(runner.invoke(_probe(), ["--help"]).stdout.split())
    assert "-p, --project NAME Project (default: the resolved one)." in shown
    assert "--json Print JSON for scripts." in shown


def test_every_storage_command_spells_the_shared_options_the_same_way() -> None:
    from zenconfig.cli.storage import storage_app

    group = typer.main.get_command(storage_app)
    assert isinstance(group, typer.core.TyperGroup)
    with_project, with_json = set(), set()
    for name, command in group.commands.items():
        for param in command.params:
            if param.name == "project":
                with_project.add(name)
                assert (param.opts, param.metavar) == (["--project", "-p"], "NAME"), name
                assert param.default is None, name
            if param.name == "as_json":
                with_json.add(name)
                assert param.opts == ["--json"] and param.is_flag, name  # type: ignore[attr-defined]
                assert param.default is False, name
            # no other option takes the names the shared ones use
            if param.name not in ("project", "as_json"):
                assert not {"--project", "-p", "--json"} & set(param.opts), (name, param.name)
    # every command that reads a project's data can be pointed at another one
    assert with_project == set(group.commands) - {"copy"}
    assert with_json == {"threads", "show", "stats", "delete", "purge", "copy"}


def test_without_a_command_the_app_shows_its_help() -> None:
    from zenconfig.cli.storage import storage_app

    done = CliRunner().invoke(storage_app, [], prog_name="zen storage")
    assert done.exit_code == 2
    assert done.stdout == ""
    assert done.stderr.startswith("Usage: zen storage [OPTIONS] COMMAND [ARGS]...")
    text = " ".join(done.stderr.split())
    assert "Look at stored conversations of the resolved project (or memory)." in text
    for command in ("threads", "stats", "delete", "purge", "reindex", "copy"):
        assert f" {command} " in text
