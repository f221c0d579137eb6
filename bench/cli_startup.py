"""Start-up cost of `zen config` commands, as ratios of `python -c pass`.

    .venv/bin/python -m bench.cli_startup [--rounds N]

Interleaves `python -c pass`, a plain argparse+json script doing the same file
edit as `zen config use`, `zen config use`, `zen config list` and
`zen config --help`. Target: `zen config use` <= 10x `python -c pass`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bench.common import command, interleaved, report

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    zen = str(Path(sys.executable).with_name("zen"))
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home}
        for key in [k for k in env if k.startswith("ZEN_")]:
            del env[key]
        for name, port in (("p1", "6379"), ("p2", "6380")):
            command([zen, "config", "add-project", name, "--port", port], env)()
        path = str(Path(home) / ".zen-cli" / "config.json")
        flip = {"n": 0}
        use_cmds = [command([zen, "config", "use", p], env) for p in ("p1", "p2")]
        plain_cmds = [
            command([sys.executable, str(HERE / "_plain_edit.py"), path, p], env)
            for p in ("p1", "p2")
        ]

        def alternate(cmds: list) -> object:
            def run() -> None:
                flip["n"] += 1
                cmds[flip["n"] % 2]()

            return run

        medians = interleaved(
            {
                "python -c pass": command([sys.executable, "-c", "pass"], env),
                "argparse+json edit (same change)": alternate(plain_cmds),
                "zen config use NAME": alternate(use_cmds),
                "zen config list": command([zen, "config", "list"], env),
                "zen config --help": command([zen, "config", "--help"], env),
            },
            rounds=args.rounds,
        )
    missed = report("zen config start-up", medians, "python -c pass", {"zen config use NAME": 10.0})
    plain = medians["argparse+json edit (same change)"]
    print(f"  zen config use / argparse+json edit: {medians['zen config use NAME'] / plain:.2f}x")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
