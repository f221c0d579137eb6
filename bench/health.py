"""`zen config test-connection --all` wall time for 10 projects, 5 unreachable,
as a ratio of the timeout (target <= 1.3: the checks run concurrently); the
checks alone, and the same checks run one after another (measured).

    .venv/bin/python -m bench.health [--timeout 1.0]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests import servers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        server = servers.start(Path(tmp) / "redis")
        try:
            with servers.unanswering_listener() as hung:
                conns = {f"down{i}": {"port": hung, "db": i} for i in range(5)}
                conns |= {f"up{i}": {"port": server.port, "db": 5 + i} for i in range(5)}
                path = home / ".zen-cli" / "config.json"
                path.parent.mkdir(mode=0o700, parents=True)
                path.write_text(
                    json.dumps({"version": 1, "storage": {"redis": {"connections": conns}}})
                )
                env = {**os.environ, "HOME": str(home)}
                cmd = [
                    sys.executable,
                    "-m",
                    "zenconfig",
                    "config",
                    "test-connection",
                    "--all",
                    "--timeout",
                    str(args.timeout),
                    "--json",
                ]
                walls, checks, serial = [], [], []
                from zenconfig import core, health, spec
                from zenconfig.core import views

                os.environ["HOME"] = str(home)
                ctx = core.Context.create()
                loaded = ctx.load()
                projects = spec.projects(loaded.document)
                for _ in range(args.rounds):
                    started = time.perf_counter()
                    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
                    walls.append(time.perf_counter() - started)
                    kinds = sorted(r["kind"] for r in json.loads(done.stdout))
                    assert kinds == ["ok"] * 5 + ["unreachable"] * 5, kinds
                    started = time.perf_counter()
                    views.test_connections(core.Context.create(), every=True, timeout=args.timeout)
                    checks.append(time.perf_counter() - started)
                    started = time.perf_counter()  # the same checks, one after another
                    for name in sorted(projects):
                        health.check(name, projects[name], loaded.path, args.timeout)
                    serial.append(time.perf_counter() - started)
        finally:
            server.stop()
    wall, check = statistics.median(walls), statistics.median(checks)
    one_by_one = statistics.median(serial)
    ok = wall / args.timeout <= 1.3
    print(
        f"\ntest-connection --all: 10 projects, 5 unreachable, timeout {args.timeout:g}s "
        f"(medians of {args.rounds})"
    )
    print(
        f"  whole command (process start included) {wall / args.timeout:5.2f}x the timeout "
        f"({wall:.2f} s)  target <= 1.3x: {'ok' if ok else 'MISSED'}"
    )
    print(
        f"  the checks alone                       {check / args.timeout:5.2f}x the timeout "
        f"({check:.2f} s)"
    )
    print(
        f"  the same checks one after another      {one_by_one / args.timeout:5.2f}x the timeout "
        f"({one_by_one:.2f} s, measured)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
