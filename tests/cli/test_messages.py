"""Messages that are true: each failure names what failed, with its exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import servers
from zenconfig.errors import ExitCode


def _write(config_file: Path, doc: dict[str, object]) -> None:
    config_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    config_file.write_text(json.dumps(doc))
    config_file.chmod(0o600)


def test_closed_stdout_exits_quietly(zen, two_projects, home: Path) -> None:
    """The reader is gone before the first write: no message, the SIGPIPE status."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "zenconfig", "config", "show", "p1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "HOME": str(home)},
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    assert (proc.wait(60), err) == (141, b"")


def test_current_short_is_just_the_name(zen, two_projects) -> None:
    assert zen("config", "current", "--short").out == "p1\n"
    assert zen("--memory", "config", "current", "--short").out == "memory\n"
    r = zen("config", "current", "--short", env={"ZEN_STORAGE_TYPE": "file"})
    assert (r.code, r.out) == (0, "local\n")


def test_current_says_why(zen, two_projects, config_file: Path) -> None:
    r = zen("config", "current", env={"ZEN_PROJECT": "p2"})
    assert r.out == "p2  (from ZEN_PROJECT=p2)\n"
    r = zen("--project", "p2", "config", "current", env={"ZEN_STORAGE_TYPE": "memory"})
    assert r.out == "p2  (from --project p2)\n"


def test_missing_import_file_is_a_message(zen) -> None:
    r = zen("--memory", "storage", "import", "/nonexistent/threads.jsonl")
    assert r.code == ExitCode.ERROR
    assert r.err.startswith("zen: error: the import file does not exist")
    assert "/nonexistent/threads.jsonl" in r.err
    assert "internal error" not in r.err


def test_stats_all_shows_the_healthy_projects(zen, config_file: Path, tmp_path: Path) -> None:
    server = servers.start(tmp_path / "up")
    try:
        conns = {
            "up": {"port": server.port, "key_prefix": "zen:up:"},
            "down": {"port": servers.free_port(), "key_prefix": "zen:down:"},
        }
        _write(config_file, {"version": 1, "storage": {"redis": {"connections": conns}}})
        r = zen("storage", "stats", "--all")
    finally:
        server.stop()
    assert r.code == ExitCode.STORAGE_UNREACHABLE
    assert r.out.splitlines()[0].split()[:3] == ["PROJECT", "THREADS", "TURNS"]
    assert r.out.splitlines()[1].split()[:3] == ["up", "0", "0"]
    assert r.err.count("zen: error: Redis for project 'down' is unreachable") == 1
    assert "using memory" not in r.err


def test_usage_errors_speak_like_every_other_error(home: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "zenconfig", "config", "list", "--bogus"],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(home)},
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "zen: error: No such option: --bogus\nhint: see: zen config list --help\n"


def test_password_stdin_is_bounded_and_checked(zen, two_projects) -> None:
    r = zen("config", "set-password", "p1", "--password-stdin", input="x" * 70000 + "\n")
    assert (r.code, r.err.splitlines()[0]) == (
        2,
        "zen: error: --password-stdin read more than 64 KiB",
    )


def test_rename_onto_itself(zen, two_projects) -> None:
    r = zen("config", "rename-project", "p1", "p1")
    assert (r.code, r.err.splitlines()[0]) == (2, "zen: error: 'p1' already has that name")


@pytest.mark.parametrize("timeout", ["-1", "nan", "inf", "0"])
def test_timeouts_are_checked(zen, two_projects, timeout: str) -> None:
    r = zen("config", "test-connection", "p1", "--timeout", timeout)
    assert r.code == 2 and "--timeout must be a number of seconds above 0" in r.err


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://[::1/0", "--url is not a URL"),
        ("redis://u%3Apw@h", "--url user name contains ':'"),
        ("redis://h;password=X", "is not a host name or address"),
    ],
)
def test_urls_that_would_go_wrong(zen, two_projects, url: str, message: str) -> None:
    r = zen("config", "add-project", "p9", "--url", url)
    assert r.code == 2 and message in r.err, r
    assert "pw" not in r.err.replace("--password", "") or "%3Apw" not in url


def test_the_writer_never_writes_what_the_reader_refuses(zen, two_projects) -> None:
    r = zen("config", "set", "p2", "key_prefix", "zen:" + "x" * (1024 * 1024) + ":")
    assert r.code == 3 and "would grow past 1 MiB; nothing was written" in r.err
    assert zen("config", "list").code == 0


def test_a_duration_out_of_range_is_said_in_durations(zen) -> None:
    r = zen("config", "add-project", "p1", "--health-check-interval", "99d")
    assert r.code == ExitCode.USAGE
    assert "zen: error: --health-check-interval 99d: must be <= 86400 (1d)" in r.err
    zen("config", "add-project", "p1")
    r = zen("config", "set", "p1", "pool.health_check_interval_seconds", "2d")
    assert r.code == ExitCode.INVALID_CONFIG
    assert "pool.health_check_interval_seconds: must be <= 86400 (1d)" in r.err
