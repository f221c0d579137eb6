"""zenconfig.process: a helper program run bounded in time and output, its whole group killed."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from tests import servers
from zenconfig import process


def _py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _child_then(tmp_path: Path, then: str) -> tuple[list[str], Path]:
    """A program that starts a sleeping child holding its stdout, then runs ``then``."""
    pid_file = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen(['sleep', '300'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n" + then
    )
    return _py(code), pid_file


def test_stdout_bytes_and_exit_status_come_back_stderr_does_not() -> None:
    code = (
        "import sys\n"
        "sys.stdout.buffer.write(b'out\\xff\\x00\\n')\n"
        "sys.stderr.write('err-text')\n"
        "sys.exit(3)"
    )
    done = process.run(_py(code), timeout=30, max_output=1024)
    assert done == process.Finished(3, b"out\xff\x00\n")


def test_a_program_killed_by_a_signal_has_a_negative_status() -> None:
    done = process.run(_py("import os; os.kill(os.getpid(), 15)"), timeout=30, max_output=10)
    assert done.returncode == -signal.SIGTERM


def test_stdin_is_empty_and_the_program_leads_its_own_session() -> None:
    code = "import os, sys; print(repr(sys.stdin.read()), os.getsid(0) == os.getpid())"
    assert process.run(_py(code), timeout=30, max_output=100).stdout == b"'' True\n"


def test_output_up_to_the_cap_is_read_one_byte_more_is_refused(tmp_path: Path) -> None:
    exact = process.run(_py("print('x' * 9)"), timeout=30, max_output=10)
    assert exact.stdout == b"x" * 9 + b"\n"
    argv, pid_file = _child_then(tmp_path, "sys.stdout.write('y' * 11); sys.stdout.flush()\n")
    with pytest.raises(process.TooMuchOutput):
        process.run(argv, timeout=30, max_output=10)
    assert servers.gone(int(pid_file.read_text()))  # its child went with it


def test_a_program_past_its_timeout_is_stopped_with_its_group(tmp_path: Path) -> None:
    argv, pid_file = _child_then(tmp_path, "print('partial', flush=True)\ntime.sleep(300)\n")
    with pytest.raises(process.TimedOut):
        process.run(argv, timeout=3, max_output=100)
    assert servers.gone(int(pid_file.read_text()))


def test_a_leader_that_exits_returns_even_while_its_child_holds_the_pipe(tmp_path: Path) -> None:
    argv, pid_file = _child_then(tmp_path, "print('done-here')\n")
    done = process.run(argv, timeout=60, max_output=100)
    assert done == process.Finished(0, b"done-here\n")
    assert servers.gone(int(pid_file.read_text()))


def test_a_program_that_cannot_start_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        process.run([str(tmp_path / "no-such-tool")], timeout=5, max_output=10)
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    with pytest.raises(PermissionError):
        process.run([str(script)], timeout=5, max_output=10)
