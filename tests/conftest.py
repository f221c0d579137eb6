from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from typer.testing import CliRunner

from tests.memkeyring import MemoryKeyring
from zenconfig.cli import app

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private HOME and working directory, no ZEN_* variables, a memory keyring."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    for name in list(os.environ):
        if name.startswith("ZEN_") and name != "ZEN_TEST_SECRET_SERVICE":
            monkeypatch.delenv(name)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("ZEN_KEYRING_TIMEOUT", "2")
    monkeypatch.chdir(work)
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    from zenconfig import redact

    redact.forget()
    yield home
    keyring.set_keyring(previous)
    redact.forget()


@pytest.fixture
def home(isolated: Path) -> Path:
    return isolated


@pytest.fixture
def config_file(home: Path) -> Path:
    return home / ".zen-cli" / "config.json"


class Run:
    def __init__(self, result: Any) -> None:
        self.result = result
        self.code: int = result.exit_code
        self.out: str = result.stdout
        self.err: str = result.stderr

    def json(self) -> Any:
        return json.loads(self.out)

    def __repr__(self) -> str:
        return f"<exit {self.code}\nstdout: {self.out}\nstderr: {self.err}>"


@pytest.fixture
def zen() -> Callable[..., Run]:
    """Run the real app in-process: zen("config", "list", input=..., env=...)."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Run:
        result = runner.invoke(app, list(args), input=input, env=env, prog_name="zen")
        return Run(result)

    return run


def run_zen(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m zenconfig`` in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "zenconfig", *args],
        capture_output=True,
        text=True,
        input=input,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def two_projects(zen: Callable[..., Run]) -> None:
    assert zen("config", "init").code == 0
    assert zen("config", "add-project", "p1", "--host", "127.0.0.1", "--use").code == 0
    assert zen("config", "add-project", "p2", "--host", "127.0.0.1", "--db", "1").code == 0
