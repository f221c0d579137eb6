"""Helpers of the copy tests: filling servers, counting keys, running copy in a child."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests import servers

COUNT = "return #redis.call('KEYS', ARGV[1])"


def client(server: servers.Server) -> Any:
    import redis

    return redis.Redis(port=server.port, password=server.password)


def fill(server: servers.Server, prefix: str, n: int, start: int = 0) -> None:
    """``n`` string keys ``<prefix>k<i>``, nine in ten with a TTL of about an hour."""
    c = client(server)
    pipe = c.pipeline(transaction=False)
    for i in range(start, start + n):
        if i % 10:
            pipe.set(f"{prefix}k{i}", f"value-{i}-" + "x" * 100, ex=3600 + i % 1000)
        else:
            pipe.set(f"{prefix}k{i}", f"value-{i}")
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()
    c.close()


def count(server: servers.Server, pattern: str) -> int:
    """Keys matching ``pattern`` on one server (KEYS, in a script: tests only)."""
    return int(server.cli("EVAL", COUNT, "0", pattern) or 0)


def count_all(nodes: list[servers.Server], pattern: str) -> int:
    return sum(count(n, pattern) for n in nodes)


def staged(nodes: list[servers.Server]) -> int:
    """Keys left in any copy's staging namespace on these servers."""
    return count_all(nodes, "*zen-copy:*")


def write_config(home: Path, connections: dict[str, Any], local: str | None = None) -> Path:
    storage: dict[str, Any] = {"type": "memory", "redis": {"connections": connections}}
    if local is not None:
        storage["local"] = {"path": local}
    path = home / ".zen-cli" / "config.json"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "storage": storage}))
    path.chmod(0o600)
    return path


def copy_cmd(source: str, target: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "zenconfig", "storage", "copy", "--from", source, "--to", target,
            "--json", *extra]  # fmt: skip


def start_copy(home: Path, source: str, target: str, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HOME": str(home)}
    return subprocess.Popen(
        copy_cmd(source, target, *extra), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def run_copy(home: Path, source: str, target: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)}
    return subprocess.run(
        copy_cmd(source, target, *extra), env=env, capture_output=True, text=True, timeout=600
    )


def wait_for(proc: subprocess.Popen[bytes], done: Any, timeout: float = 120) -> None:
    """Wait until ``done()`` holds while ``proc`` still runs."""
    deadline = time.monotonic() + timeout
    while not done():
        assert proc.poll() is None, "copy ended too soon: " + proc.stderr.read().decode()
        assert time.monotonic() < deadline, "copy made no progress"
        time.sleep(0.05)


def checkpoint(home: Path, source: str, target: str) -> Path:
    return home / ".zen-cli" / f"copy-{source}-to-{target}.checkpoint"
