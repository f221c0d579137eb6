"""Help is part of the product: every command has a summary, an example, and a
place in the README; completion works."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from zenconfig.cli.config import COMMANDS, EXAMPLES

README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_and_an_example(zen, name: str) -> None:
    r = zen("config", name, "--help")
    assert r.code == 0, r
    summary = (COMMANDS[name].__doc__ or "").strip().splitlines()[0]
    assert summary and summary in " ".join(r.out.split())
    example = " ".join(("Example: " + EXAMPLES[name]).split())
    assert example in " ".join(r.out.split())
    assert f"zen config {name}" in EXAMPLES[name]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"`zen config {name}" in README


def test_root_help_names_the_env_vars(zen) -> None:
    out = " ".join(zen("--help").out.split())
    for env in ("ZEN_CONFIG", "ZEN_PROJECT", "ZEN_STORAGE_TYPE=memory"):
        assert env in out


def test_readme_gives_the_two_commands() -> None:
    assert "bash scripts/tour" in README and "bash scripts/test" in README
    assert "bash scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_shell_completion_completes_commands() -> None:
    env = {
        **os.environ,
        "_ZEN_COMPLETE": "complete_bash",
        "COMP_WORDS": "zen config rem",
        "COMP_CWORD": "2",
    }
    done = subprocess.run(
        [sys.executable, "-c", "from zenconfig.cli import main; main()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.split() == ["remove-project"]


def test_storage_commands_have_help_and_are_documented(zen) -> None:
    from zenconfig.cli.storage import storage_app

    names = [c.name for c in storage_app.registered_commands]
    assert names == [
        "threads", "show", "stats", "delete", "purge", "reindex", "export", "import", "copy",
    ]  # fmt: skip
    for name in names:
        r = zen("storage", name, "--help")
        assert r.code == 0 and "Example: zen" in r.out, r
        assert f"`zen storage {name}" in README
