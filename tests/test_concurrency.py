"""Many writers at once, and writers killed mid-write: the file stays whole."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
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


def test_twenty_threads_adding_projects_at_once(config_file: Path) -> None:
    """fcntl locks do not exclude threads of one process: the library must."""
    from zenconfig.core import Context
    from zenconfig.core import projects as core

    ctx = Context.create()  # the default file (HOME is the test's): created by the first writer
    start = threading.Barrier(20)
    errors: list[BaseException] = []

    def add(i: int) -> None:
        start.wait()
        try:
            core.add_project(ctx, f"p{i}", {"port": 7000 + i})
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    loaded = configfile.load(config_file)
    assert loaded.config.names() == sorted(f"p{i}" for i in range(20))
    assert {c.port for c in loaded.config.connections.values()} == set(range(7000, 7020))
    assert sorted(p.name for p in config_file.parent.iterdir()) == [
        "config.json",
        "config.json.bak",
        "config.json.lock",
        "zen-config.schema.json",  # written with the new file, as init does
    ]


def test_a_live_writers_temp_file_is_never_removed(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    with configfile.locked(path):
        configfile.write(path, configfile.empty_document())
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        live_temp = tmp_path / f".config.json.{sleeper.pid}.abcdefgh.tmp"
        live_backup = tmp_path / f".config.json.bak.{sleeper.pid}.abcdefgh.tmp"
        dead_temp = tmp_path / f".config.json.{dead.pid}.abcdefgh.tmp"
        for item in (live_temp, live_backup, dead_temp):
            item.write_text("half")
        configfile.update(path, lambda doc: doc["storage"].update(fallback="error"))
        assert live_temp.exists() and live_backup.exists()
        assert not dead_temp.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_lock_nests_in_one_thread(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    with configfile.locked(path), configfile.locked(path):
        configfile.write(path, configfile.empty_document())
    # released: another process takes it at once
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from zenconfig import configfile\n"
            "with configfile.locked(Path(sys.argv[1]), timeout=2): print('ok')",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout == "ok\n", done.stderr
