"""Every benchmark, one after another, each printing ratios against its own baseline.

    .venv/bin/python -m bench            # all of them (about 15 minutes here)
    .venv/bin/python -m bench runtime    # only the named ones

Each runs as its own process (a benchmark's imports and servers do not leak into
the next); the exit code is the first non-zero one.
"""

from __future__ import annotations

import subprocess
import sys

ALL = ["cli_startup", "runtime", "health", "local", "transfer", "scale"]


def main(argv: list[str]) -> int:
    names = argv or ALL
    unknown = [name for name in names if name not in ALL]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(ALL)}")
        return 2
    worst = 0
    for name in names:
        print(f"\n=== bench.{name}", flush=True)
        code = subprocess.call([sys.executable, "-m", f"bench.{name}"])
        worst = worst or code
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
