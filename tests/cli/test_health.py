"""cli/health.py: test-connection's and doctor's text, and the exit code each result picks."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import servers
from tests.conftest import Run
from zenconfig.cli.health import exit_code
from zenconfig.errors import ExitCode
from zenconfig.health import Report


def _reports(*kinds: str) -> list[Report]:
    return [Report(f"p{n}", "127.0.0.1:1/0", kind == "ok", kind) for n, kind in enumerate(kinds)]


@pytest.mark.parametrize(
    ("kinds", "code"),
    [
        ((), ExitCode.OK),
        (("ok", "ok"), ExitCode.OK),
        (("ok", "secret"), ExitCode.KEYRING_UNAVAILABLE),
        (("secret", "error", "ok"), ExitCode.STORAGE_UNREACHABLE),
        (("secret", "unreachable"), ExitCode.STORAGE_UNREACHABLE),
        (("unreachable", "secret", "refused"), ExitCode.INVALID_CONFIG),
    ],
)
def test_the_most_serious_result_picks_the_exit_code(kinds: tuple[str, ...], code: int) -> None:
    assert exit_code(_reports(*kinds)) == code


def test_each_project_gets_its_stage_table_and_the_server_line(
    zen: Callable[..., Run],
    write_config: Callable[..., Path],
    redis_server: servers.Server,
    unique_prefix: str,
) -> None:
    down = servers.free_port()
    write_config(
        {
            "live": {"port": redis_server.port, "key_prefix": unique_prefix},
            "down": {"port": down, "key_prefix": "zen:down:"},
        }
    )
    r = zen("config", "test-connection", "--all")
    assert r.code == ExitCode.STORAGE_UNREACHABLE, r
    blocks = {b.split(" ", 1)[0]: b for b in re.split(r"\n(?=\S)", r.out.rstrip("\n"))}
    assert set(blocks) == {"live", "down"}

    live = blocks["live"].splitlines()
    assert live[0] == f"live (127.0.0.1:{redis_server.port}/0): ok"
    assert live[1].split() == ["STAGE", "RESULT", "TIME", "DETAIL"]
    stages = [line.split()[:2] for line in live[2:-1]]
    names = ("password", "resolve", "connect", "auth", "select", "ping", "probe")
    assert stages == [[name, "ok"] for name in names]
    assert all(re.search(r"\s\d+\.\d ms(\s|$)", line) for line in live[2:-1])
    assert re.fullmatch(r"  server: Redis \d+\.\d+\.\d+, role master", live[-1])

    dead = blocks["down"].splitlines()
    assert dead[0] == f"down (127.0.0.1:{down}/0): FAILED at connect"
    assert dead[-1].split()[:2] == ["connect", "FAIL"]
    assert "server:" not in blocks["down"]
    assert r.err == ""


def test_doctor_marks_each_finding_and_warnings_alone_exit_zero(
    zen: Callable[..., Run], config_file: Path
) -> None:
    assert zen("config", "init").code == 0
    config_file.chmod(0o644)
    r = zen("config", "doctor")
    assert r.code == ExitCode.OK, r
    *findings, blank, total = r.out.splitlines()
    marks = [line[:6] for line in findings]
    assert set(marks) <= {"ok    ", "WARN  ", "FAIL  "}
    assert f"WARN  permissions: file {config_file} is 0644" in r.out
    assert blank == ""
    assert total == (
        f"{marks.count('ok    ')} ok, {marks.count('WARN  ')} warnings, "
        f"{marks.count('FAIL  ')} failures"
    )
    assert marks.count("WARN  ") >= 1 and marks.count("FAIL  ") == 0
    as_json = zen("config", "doctor", "--json")
    assert as_json.code == ExitCode.OK
    assert len(as_json.json()["findings"]) == len(findings)
