"""Heavy imports load only where used: `use` and `list` pay for neither a Redis
client, a keyring, pydantic-settings nor even pydantic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import json, sys
sys.argv = ["zen", *json.loads(sys.argv[1])]
from zenconfig.cli import app
try:
    app(prog_name="zen")
except SystemExit as e:
    code = e.code
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""
HEAVY = {"redis", "keyring", "pydantic_settings", "pydantic", "secretstorage", "rich"}


def _loaded(home: Path, *args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args))],
        capture_output=True,
        text=True,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["code"] in (0, None), done.stderr
    return set(result["modules"])


@pytest.fixture
def configured(zen, home: Path) -> Path:
    zen("config", "add-project", "p1", "--port", "6379")
    zen("config", "add-project", "p2", "--port", "6380", "--password-env", "P2")
    return home


@pytest.mark.parametrize(
    "args",
    [
        ("config", "use", "p2"),
        ("config", "list"),
        ("config", "list", "--json"),
        ("config", "use", "--memory"),
        ("config", "current"),
        ("config", "current", "--short"),
        ("config", "show", "p1"),
        ("config", "show", "p2", "--json"),
    ],
)
def test_fast_commands_stay_light(configured: Path, args: tuple[str, ...]) -> None:
    assert _loaded(configured, *args) & HEAVY == set()


def test_help_needs_no_pydantic(configured: Path) -> None:
    assert _loaded(configured, "config", "--help") & HEAVY == set()
