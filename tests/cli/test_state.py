"""cli/state.py: the root options kept in ``ctx.meta`` for the whole command tree, the
defaults when a host mounted the apps without them, and the use-case Context they make."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.core import TyperCommand, TyperGroup

from tests.conftest import ROOT
from zenconfig.cli.state import META_KEY, Options, context, options, remember


def _tree() -> tuple[typer.Context, typer.Context, typer.Context]:
    """zen -> storage -> threads, as Click nests the contexts of a command line."""
    root = typer.Context(TyperGroup(name="zen"))
    group = typer.Context(TyperGroup(name="storage"), parent=root)
    leaf = typer.Context(TyperCommand("threads"), parent=group)
    return root, group, leaf


def test_options_remembered_at_the_root_are_found_by_every_sub_command() -> None:
    root, group, leaf = _tree()
    opts = Options(config="c.json", project="p2", memory=False, local=True, verbose=True)
    remember(root, opts)
    assert options(leaf) is opts and options(group) is opts
    assert root.meta[META_KEY] is opts
    assert root.obj is None  # ctx.obj stays free for a host


def test_without_root_options_every_field_has_its_default() -> None:
    _, _, leaf = _tree()
    assert options(leaf) == Options(None, None, False, False, False)
    leaf.meta[META_KEY] = {"project": "p1"}  # something else under the key: not ours
    assert options(leaf) == Options()


def test_context_carries_the_options_and_the_config_file_choice(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _, leaf = _tree()
    remember(root, Options(config="~/elsewhere/zen.toml", project="p1"))
    made = context(leaf)
    assert (made.config_path, made.path_source) == (home / "elsewhere" / "zen.toml", "--config")
    assert (made.project, made.memory, made.local) == ("p1", False, False)

    monkeypatch.setenv("ZEN_CONFIG", str(home / "from-env.json"))
    remember(root, Options(memory=True))
    made = context(leaf)
    assert (made.config_path, made.path_source) == (home / "from-env.json", "ZEN_CONFIG")
    assert (made.project, made.memory, made.local) == (None, True, False)

    monkeypatch.delenv("ZEN_CONFIG")
    remember(root, Options(local=True))
    made = context(leaf)
    assert made.config_path == home / ".zen-cli" / "config.json"
    assert (made.path_source, made.memory, made.local) == ("default", False, True)


def test_options_and_context_load_no_heavy_module() -> None:
    """Kept light: neither pydantic, redis, keyring nor sqlite3 to read the options."""
    code = (
        "import sys, typer\n"
        "from typer.core import TyperCommand\n"
        "from zenconfig.cli import state\n"
        "ctx = typer.Context(TyperCommand('x'))\n"
        "state.remember(ctx, state.Options(project='p'))\n"
        "assert state.context(ctx).project == 'p'\n"
        "print([m for m in ('pydantic', 'redis', 'keyring', 'sqlite3') if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr
