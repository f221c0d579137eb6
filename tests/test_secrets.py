"""Password sources: keyring (bounded, never a plain-text fallback), env, command."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from tests import servers
from tests.memkeyring import SlowKeyring
from zenconfig import secrets
from zenconfig.errors import CommandRefusedError, ExitCode, SecretUnavailableError

ALTERNATIVES = ("--password-env", "--password-command", "Secret Service", "PYTHON_KEYRING_BACKEND")


def test_no_backend_exits_5_naming_the_alternatives(zen, config_file: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    zen("config", "init")
    before = config_file.read_text()
    r = zen("config", "add-project", "p1", "--password-stdin", input="pw-x\n")
    assert r.code == ExitCode.KEYRING_UNAVAILABLE
    assert r.err.startswith("zen: error: no usable keyring backend (keyring.backends.fail.Keyring)")
    for alternative in ALTERNATIVES:
        assert alternative in r.err
    assert "pw-x" not in r.err + r.out
    assert config_file.read_text() == before  # nothing half-written, no plain-text fallback


def test_a_hanging_keyring_is_bounded(zen, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZEN_KEYRING_TIMEOUT", "0.3")
    keyring.set_keyring(SlowKeyring())
    started = time.monotonic()
    r = zen("config", "add-project", "p1", "--password-stdin", input="pw\n")
    assert time.monotonic() - started < 5
    assert r.code == ExitCode.KEYRING_UNAVAILABLE
    assert "the keyring did not answer within 0.3s while reading zen-cli/p1" in r.err


def test_keyring_entry_missing(zen, config_file: Path) -> None:
    zen("config", "add-project", "p1", "--password-stdin", input="pw\n")
    user = secrets.scoped_username("p1", config_file)
    keyring.delete_password("zen-cli", user)
    r = zen("config", "show", "p1", "--reveal")
    assert r.code == ExitCode.KEYRING_UNAVAILABLE
    assert f"no keyring entry zen-cli/{user} for project 'p1'" in r.err
    assert "hint: store one with: zen config set-password p1" in r.err


def test_env_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ref = {"source": "env", "env": "P1_PW"}
    with pytest.raises(SecretUnavailableError, match="P1_PW is not set"):
        secrets.resolve(ref, "p1", tmp_path / "c.json")
    monkeypatch.setenv("P1_PW", "from-env")
    assert secrets.resolve(ref, "p1", tmp_path / "c.json") == "from-env"


def _private_config(tmp_path: Path) -> Path:
    directory = tmp_path / "cfg"
    directory.mkdir(mode=0o700)
    directory.chmod(0o700)
    path = directory / "config.json"
    path.write_text("{}")
    path.chmod(0o600)
    return path


def test_command_source_runs_without_a_shell(tmp_path: Path) -> None:
    config = _private_config(tmp_path)
    record = tmp_path / "argv.json"
    script = tmp_path / "pw.py"
    script.write_text(
        "import json, sys\n"
        f"json.dump(sys.argv, open({str(record)!r}, 'w'))\n"
        "sys.stderr.write('noise on stderr\\n')\n"
        "print('cmd-secret')\n"
    )
    ref = {"source": "command", "command": [sys.executable, str(script), "$HOME;x"]}
    assert secrets.resolve(ref, "p1", config) == "cmd-secret"
    assert json.loads(record.read_text()) == [str(script), "$HOME;x"]  # no shell expansion


def test_command_failure_hides_its_stderr(tmp_path: Path) -> None:
    config = _private_config(tmp_path)
    ref = {
        "source": "command",
        "command": [sys.executable, "-c", "import sys; sys.stderr.write('leak'); sys.exit(3)"],
    }
    with pytest.raises(SecretUnavailableError) as info:
        secrets.resolve(ref, "p1", config)
    assert "exited with status 3" in str(info.value)
    assert "leak" not in str(info.value)
    missing = {"source": "command", "command": ["/nonexistent/pw-tool"]}
    with pytest.raises(SecretUnavailableError, match="not found: /nonexistent/pw-tool"):
        secrets.resolve(missing, "p1", config)


@pytest.mark.parametrize("target", ["file", "dir"])
def test_command_refused_when_config_is_writable_by_others(tmp_path: Path, target: str) -> None:
    config = _private_config(tmp_path)
    (config if target == "file" else config.parent).chmod(0o777 if target == "dir" else 0o666)
    ref = {"source": "command", "command": [sys.executable, "-c", "print('x')"]}
    with pytest.raises(CommandRefusedError, match="is writable by group or others") as info:
        secrets.resolve(ref, "p1", config)
    assert info.value.exit_code == ExitCode.INVALID_CONFIG
    assert "chmod go-w" in (info.value.hint or "")


def test_show_reveal_through_a_command(zen, config_file: Path, tmp_path: Path) -> None:
    script = tmp_path / "pw.py"
    script.write_text("print('via-command')\n")
    r = zen("config", "add-project", "p1", "--password-command", f"{sys.executable} {script}")
    assert r.code == 0, r
    masked = zen("config", "show", "p1")
    assert "via-command" not in masked.out
    assert masked.out.splitlines()[-1].split()[-1] == f"command:{Path(sys.executable).name}"
    assert zen("config", "show", "p1", "--reveal", "--json").json()["password"]["value"] == (
        "via-command"
    )


def _forking_command(tmp_path: Path, leader_sleeps: bool) -> tuple[dict, Path]:
    """A command that starts a sleeping child holding its stdout, then prints."""
    pid_file = tmp_path / "child.pid"
    script = tmp_path / "forker.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "child = subprocess.Popen(['sleep', '300'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('forked-secret', flush=True)\n" + ("time.sleep(300)\n" if leader_sleeps else "")
    )
    return {"source": "command", "command": [sys.executable, str(script)]}, pid_file


def test_a_child_of_the_command_never_outlives_it(tmp_path: Path) -> None:
    config = _private_config(tmp_path)
    ref, pid_file = _forking_command(tmp_path, leader_sleeps=False)
    started = time.monotonic()
    assert secrets.resolve(ref, "p1", config) == "forked-secret"
    assert time.monotonic() - started < 8  # not the child's 300 s, nor the 10 s timeout
    assert servers.gone(int(pid_file.read_text()))


def test_on_timeout_the_whole_group_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(secrets, "COMMAND_TIMEOUT_SECONDS", 1.0)
    config = _private_config(tmp_path)
    ref, pid_file = _forking_command(tmp_path, leader_sleeps=True)
    started = time.monotonic()
    with pytest.raises(SecretUnavailableError) as info:
        secrets.resolve(ref, "p1", config)
    assert time.monotonic() - started < 8
    assert info.value.message == (
        f"password command {sys.executable} did not finish within 1s "
        "(it was stopped, with any program it started)"
    )
    assert servers.gone(int(pid_file.read_text()))


def test_output_past_64_kib_is_an_error(tmp_path: Path) -> None:
    config = _private_config(tmp_path)
    code = "import sys\nwhile True: sys.stdout.write('x' * 65536)"
    ref = {"source": "command", "command": [sys.executable, "-c", code]}
    with pytest.raises(SecretUnavailableError) as info:
        secrets.resolve(ref, "p1", config)
    assert info.value.message == (
        f"password command {sys.executable} printed more than 64 KiB (a password is one line)"
    )
    exactly = {"source": "command", "command": [sys.executable, "-c", "print('y' * 65535)"]}
    assert secrets.resolve(exactly, "p1", config) == "y" * 65535


def test_the_command_gets_no_stdin_and_its_own_session(tmp_path: Path) -> None:
    config = _private_config(tmp_path)
    code = "import os, sys; print(repr(sys.stdin.read()), os.getsid(0) == os.getpid())"
    ref = {"source": "command", "command": [sys.executable, "-c", code]}
    assert secrets.resolve(ref, "p1", config) == "'' True"
