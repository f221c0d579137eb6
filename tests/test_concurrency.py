"""Many writers at once, and writers killed mid-write: the file stays whole."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zenconfig import configfile

pytestmark = pytest.mark.slow


def test_sixteen_processes_adding_projects_at_once(home: Path, config_file: Path) -> None:
    env = {**os.environ, "HOME": str(home)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "zenconfig",
                "config",
                "add-project",
                f"p{i}",
                "--port",
                str(7000 + i),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(16)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    loaded = configfile.load(config_file)
    assert loaded.config.names() == sorted(f"p{i}" for i in range(16))
    assert {c.port for c in loaded.config.connections.values()} == set(range(7000, 7016))


def _writer_loop(path: Path) -> None:
    """Child: rewrite the file as fast as it can, growing and shrinking it."""
    i = 0
    while True:
        i += 1

        def change(doc: dict, i: int = i) -> None:
            conns = doc["storage"]["redis"]["connections"]
            name = f"w{i % 40}"
            if name in conns:
                del conns[name]
            else:
                conns[name] = {
                    "host": "127.0.0.1",
                    "port": 6379,
                    "db": i % 16,
                    "key_prefix": f"zen:{name}:",
                    "client_name": "x" * (i % 500),
                }

        configfile.update(path, change)


def test_writer_killed_at_random_points_200_times(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "config.json"
    with configfile.locked(path):
        configfile.write(path, configfile.empty_document())
    rng = random.Random(1234)
    seen = set()
    for _ in range(200):
        pid = os.fork()
        if pid == 0:  # child
            try:
                _writer_loop(path)
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.0, 0.03))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raw = path.read_bytes()
        seen.add(raw)
        json.loads(raw)  # parses...
        configfile.load(path)  # ...and validates
        backup = path.with_name("config.json.bak")
        if backup.exists():
            json.loads(backup.read_bytes())
    assert len(seen) > 20  # the kills landed at many different points
    # the next writer removes what killed writers left behind
    configfile.update(path, lambda doc: doc["storage"].update(fallback="error"))
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "config.json",
        "config.json.bak",
        "config.json.lock",
    ]
