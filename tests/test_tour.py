"""scripts/tour, the README's first command, runs to the end on this machine: its own
redis-server and keyring, every step ok, nothing left behind."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_tour_runs_every_step(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZEN_", "XDG_"))}
    env.update(ZEN_TOUR_INSIDE="1", TMPDIR=str(tmp_path))  # setup has run: the venv is ours
    done = subprocess.run(
        ["dbus-run-session", "--", "bash", "scripts/with-keyring", "bash", "scripts/tour"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "zen: added project 'p1'" in done.stderr
    assert out.count("): ok\n") == 2  # test-connection --all: both projects
    assert "chat  2      0s ago" in out or "chat  2 " in out  # the thread the runtime wrote
    assert out.rstrip().endswith("0 warnings, 0 failures")
    assert "\nlocal\n" in out  # current --short after use --local
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith("tmp")]
    assert leftovers == []  # HOME and the keyring directories are removed
