"""zenconfig mounted in a host CLI: a Click group (as zen-cli is) and a Typer app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import keyring
import pytest
import typer
from click.testing import CliRunner as ClickRunner
from keyring.backends import fail
from typer.testing import CliRunner as TyperRunner

from tests import servers
from zenconfig import get_storage_backend, runtime
from zenconfig.cli import mount
from zenconfig.errors import ExitCode


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    started = servers.start(tmp_path_factory.mktemp("mount"))
    yield started
    started.stop()


@pytest.fixture(autouse=True)
def fresh_runtime() -> Iterator[None]:
    runtime.reset()
    yield
    runtime.reset()


@pytest.fixture
def config(config_file: Path, server: servers.Server) -> Path:
    config_file.parent.mkdir(mode=0o700, parents=True)
    doc = {
        "version": 1,
        "storage": {
            "type": "memory",
            "redis": {
                "connections": {
                    "up": {"port": server.port, "key_prefix": "zen:mount-up:"},
                    "down": {"port": servers.free_port(), "key_prefix": "zen:mount-down:"},
                    "locked": {
                        "port": server.port,
                        "key_prefix": "zen:mount-locked:",
                        "password": {"source": "keyring", "username": "locked"},
                    },
                }
            },
        },
    }
    config_file.write_text(json.dumps(doc))
    config_file.chmod(0o600)
    return config_file


def click_host() -> click.Group:
    @click.group()
    @click.option("-v", "--verbose", is_flag=True)
    def cli(verbose: bool) -> None:
        """A host that keeps conversations."""

    @cli.command()
    def chat() -> None:
        store = get_storage_backend()
        click.echo(f"store={store.name} degraded={store.degraded}")

    mount(cli, root_options=True)
    return cli


def typer_host() -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def chat() -> None:
        store = get_storage_backend()
        typer.echo(f"store={store.name} degraded={store.degraded}")

    mount(app, root_options=True)
    return app


def run_click(*args: str) -> click.testing.Result:
    return ClickRunner().invoke(click_host(), list(args))


def run_typer(*args: str) -> typer.testing.Result:
    return TyperRunner().invoke(typer_host(), list(args))


HOSTS = pytest.mark.parametrize("run", [run_click, run_typer], ids=["click", "typer"])


@HOSTS
def test_root_options_choose_the_project_of_mounted_commands(run, config: Path) -> None:
    result = run("--project", "up", "config", "current")
    assert result.exit_code == 0, result.output
    assert result.stdout == "up  (from --project up)\n"


@HOSTS
def test_root_options_choose_the_store_of_the_hosts_own_code(run, config: Path) -> None:
    result = run("--project", "up", "chat")
    assert (result.exit_code, result.stdout) == (0, "store=up degraded=False\n")
    runtime.reset()
    result = run("--memory", "chat")
    assert (result.exit_code, result.stdout) == (0, "store=memory degraded=False\n")


@HOSTS
def test_unknown_project_keeps_message_and_exit_code(run, config: Path) -> None:
    result = run("--project", "nope", "config", "show")
    assert result.exit_code == ExitCode.ERROR
    assert "zen: error: unknown project 'nope' (--project nope)" in result.stderr
    assert "Traceback" not in result.output


@HOSTS
def test_unreachable_server_exits_4(run, config: Path) -> None:
    result = run("--project", "down", "storage", "threads")
    assert result.exit_code == ExitCode.STORAGE_UNREACHABLE
    assert "zen: error: Redis for project 'down' is unreachable" in result.stderr
    assert "Traceback" not in result.output


@HOSTS
def test_keyring_failure_exits_5(run, config: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    result = run("--project", "locked", "config", "show", "--reveal")
    assert result.exit_code == ExitCode.KEYRING_UNAVAILABLE
    assert "zen: error: no usable keyring backend" in result.stderr
    assert "Traceback" not in result.output


def test_help_lists_the_mounted_groups(config: Path) -> None:
    result = run_click("--help")
    assert result.exit_code == 0
    assert "config   Manage zen's storage configuration" in result.stdout
    assert "--project NAME" in result.stdout
    assert run_click("config", "--help").stdout.startswith("Usage: ")


def test_a_host_option_of_the_same_name_is_refused() -> None:
    @click.group()
    @click.option("--project")
    def cli(project: str | None) -> None:
        pass

    with pytest.raises(ValueError, match="already has an option --project"):
        mount(cli, root_options=True)


def test_the_apps_import_by_the_names_the_readme_gives() -> None:
    """``from zenconfig.cli import config_app, storage_app`` gives the Typer apps, also
    after the full app (and every submodule of ``zenconfig.cli``) has been imported."""
    import subprocess
    import sys

    code = (
        "import typer, zenconfig.cli.root\n"
        "from zenconfig.cli import config_app, storage_app, app, mount\n"
        "assert isinstance(config_app, typer.Typer), config_app\n"
        "assert isinstance(storage_app, typer.Typer), storage_app\n"
        "assert isinstance(app, typer.Typer) and callable(mount)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
