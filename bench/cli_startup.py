"""Start-up cost of `zen config` commands, as ratios of `python -c pass`.

    .venv/bin/python -m bench.cli_startup [--wall] [--rounds N]

Each command runs against a config with two projects in a private HOME, with
bytecode caches on (as an installed package runs; a warm-up run writes them).
Counted in instructions with callgrind (repeatable on a noisy machine; see
bench/instructions.py), or with --wall (or without valgrind) as interleaved
wall-clock medians. Targets: `use` and `list` <= 8x, `current`, `show` and
`get` <= 10x, `current --short` (for shell prompts) <= 6x.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bench import instructions
from bench.common import command, interleaved, report

HERE = Path(__file__).resolve().parent
TARGETS = {
    "zen config use NAME": 8.0,
    "zen config list": 8.0,
    "zen config current": 10.0,
    "zen config show NAME": 10.0,
    "zen config get NAME FIELD": 10.0,
    "zen config current --short": 6.0,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wall", action="store_true", help="wall-clock medians, not callgrind")
    parser.add_argument("--rounds", type=int, default=30, help="rounds for --wall")
    args = parser.parse_args()
    zen = str(Path(sys.executable).with_name("zen"))
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home}
        for key in [k for k in env if k.startswith("ZEN_")]:
            del env[key]
        # as installed: bytecode cached (a warm-up run below writes the caches)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for name, port in (("p1", "6379"), ("p2", "6380")):
            command([zen, "config", "add-project", name, "--port", port], env)()
        command([zen, "config", "use", "p1"], env)()
        path = str(Path(home) / ".zen-cli" / "config.json")
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "argparse+json edit (same change)": [
                sys.executable,
                str(HERE / "_plain_edit.py"),
                path,
                "p1",
            ],
            "zen config use NAME": [zen, "config", "use", "p1"],
            "zen config list": [zen, "config", "list"],
            "zen config --help": [zen, "config", "--help"],
            "zen config current": [zen, "config", "current"],
            "zen config current --short": [zen, "config", "current", "--short"],
            "zen config show NAME": [zen, "config", "show", "p2"],
            "zen config get NAME FIELD": [zen, "config", "get", "p2", "port"],
        }
        for argv in cases.values():  # warm: .pyc files written, page cache filled
            command(argv, env)()
        if instructions.available() and not args.wall:
            counts = {name: instructions.count(argv, env) for name, argv in cases.items()}
            missed = instructions.report("zen config start-up", counts, "python -c pass", TARGETS)
        else:
            medians = interleaved(
                {name: command(argv, env) for name, argv in cases.items()}, rounds=args.rounds
            )
            missed = report("zen config start-up", medians, "python -c pass", TARGETS)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
