"""cli/root.py: the root callback keeps the global options (and --verbose) for every
command, and ``run`` turns usage errors, Ctrl-C at a prompt, a closed stdout and the
commands' exit codes into what the console script reports."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

from tests.conftest import ROOT
from zenconfig.cli import root as root_module
from zenconfig.cli.boundary import VERBOSE
from zenconfig.cli.state import Options, options
from zenconfig.errors import ExitCode


def run(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """``root.run()`` in this process, on ``argv`` (argv[0] is the program)."""
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as done:
        root_module.run()
    code = done.value.code
    return code if isinstance(code, int) else 0


def test_the_root_callback_keeps_every_option_and_sets_verbose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(VERBOSE, "on", False)  # restored after the test
    ctx = typer.Context(TyperGroup(name="zen"))
    root_module.root(ctx, "/etc/zen.json", "p2", False, True, True)
    assert options(ctx) == Options("/etc/zen.json", "p2", False, True, True)
    assert VERBOSE["on"] is True
    root_module.root(ctx, None, None, True, False, False)  # the next command line
    assert options(ctx) == Options(None, None, True, False, False)
    assert VERBOSE["on"] is False


@pytest.mark.parametrize(
    ("program", "prog"),
    [
        ("/usr/local/bin/zen", "zen"),
        ("/opt/venv/bin/zenconfig", "zenconfig"),
        ("__main__.py", "zen"),
    ],
)
def test_a_usage_error_is_one_error_line_and_a_hint_naming_the_program(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], program: str, prog: str
) -> None:
    code = run([program, "storage", "threads", "--limit", "many"], monkeypatch)
    out, err = capsys.readouterr()
    assert (code, out) == (ExitCode.USAGE, "")
    lines = err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("zen: error: Invalid value for '--limit' / '-n'")
    assert lines[1] == f"hint: see: {prog} storage threads --help"


@pytest.mark.parametrize(
    ("argv", "code", "first"),
    [
        (["--memory", "config", "current", "--short"], 0, ""),
        (["--memory", "--local", "config", "current"], ExitCode.USAGE, "zen: error: --memory "),
        (
            ["--project", "ghost", "config", "current"],
            ExitCode.ERROR,
            "zen: error: unknown project",
        ),
    ],
)
def test_the_commands_exit_code_is_the_process_exit_code(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    write_config: Callable[..., Path],
    argv: list[str],
    code: int,
    first: str,
) -> None:
    write_config({"p1": {"port": 1}}, default="p1")
    assert run(["zen", *argv], monkeypatch) == code
    out, err = capsys.readouterr()
    assert (err.splitlines() or [""])[0].startswith(first)
    assert out == ("memory\n" if code == 0 else "")


def test_no_command_shows_the_help_not_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["zenconfig"], monkeypatch)
    _, err = capsys.readouterr()
    assert code == ExitCode.USAGE
    assert err.startswith("Usage: zenconfig [OPTIONS] COMMAND [ARGS]...")
    assert "--project NAME" in err and "zen: error" not in err


def _child(argv: list[str], home: Path, **kwargs: object) -> subprocess.Popen[bytes]:
    """``run()`` in a child with no controlling terminal (its own session)."""
    code = f"import sys; sys.argv = {['zen', *argv]!r}\nfrom zenconfig.cli.root import run\nrun()"
    env = {
        **os.environ,
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "tests.memkeyring.MemoryKeyring",
    }
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        start_new_session=True,
        **kwargs,  # type: ignore[call-overload]
    )


def _memory_config(home: Path) -> Path:
    config = home / ".zen-cli" / "config.json"
    config.parent.mkdir(mode=0o700)
    config.write_text(json.dumps({"version": 1, "storage": {"type": "memory"}}))
    return config


def test_ask_password_with_no_terminal_is_refused_and_writes_nothing(home: Path) -> None:
    """No controlling terminal (a job, a pipe): Python would read the password from
    standard input, echoed, after a warning; refused instead, as the default prompt is."""
    config = _memory_config(home)
    before = config.read_text()
    proc = _child(
        ["config", "add-project", "p9", "--ask-password"],
        home,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.USAGE, err
    assert err.decode().startswith("zen: error: no terminal to prompt on\nhint: pipe the password")
    assert b"echoed" not in err and b"Warning" not in err and b"Traceback" not in err
    assert config.read_text() == before


def test_ctrl_d_at_the_password_prompt_is_interrupted_and_writes_nothing(home: Path) -> None:
    """On a real terminal (a pty as the controlling terminal): Ctrl-D at the prompt."""
    import pty
    import select

    config = _memory_config(home)
    before = config.read_text()
    code = "import sys; sys.argv = ['zen', 'config', 'add-project', 'p9', '--ask-password']\n"
    code += "from zenconfig.cli.root import run\nrun()"
    env = {
        **os.environ,
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "tests.memkeyring.MemoryKeyring",
    }
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its terminal
        os.execve(sys.executable, [sys.executable, "-c", code], env)
    seen, status, deadline = b"", None, time.monotonic() + 60
    try:
        while status is None and time.monotonic() < deadline:
            if b"Password:" in seen:
                os.write(fd, b"\x04")  # Ctrl-D, again until read (hiding input flushes it)
            if select.select([fd], [], [], 0.2)[0]:
                with contextlib.suppress(OSError):  # the child is gone
                    seen += os.read(fd, 1024)
            done, found = os.waitpid(pid, os.WNOHANG)
            status = found if done else None
    finally:
        if status is None:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
    assert status is not None, seen
    assert os.waitstatus_to_exitcode(status) == 130, seen
    assert b"zen: interrupted" in seen and b"Traceback" not in seen
    assert config.read_text() == before


def test_help_to_a_closed_stdout_exits_quietly_with_the_sigpipe_status(home: Path) -> None:
    proc = _child(["storage", "--help"], home, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the help is written
    err = proc.stderr.read()
    assert (proc.wait(60), err) == (141, b"")
