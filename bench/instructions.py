"""Counting instructions with callgrind: repeatable on a noisy machine.

``valgrind --tool=callgrind`` counts the instructions a command executes; the
same command, inputs and environment give the same count whatever else the
machine is doing. When valgrind is missing, ``available()`` is False and the
benchmarks fall back to interleaved wall-clock medians.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence

_COLLECTED = re.compile(r"Collected : (\d+)")


def available() -> bool:
    return shutil.which("valgrind") is not None


def count(argv: Sequence[str], env: dict[str, str] | None = None, repeat: int = 1) -> int:
    """Instructions executed by ``argv`` (the smallest of ``repeat`` runs)."""
    found = []
    for _ in range(repeat):
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        match = _COLLECTED.search(done.stderr)
        if match is None:
            raise RuntimeError(f"callgrind gave no count for {argv}: {done.stderr[-500:]}")
        found.append(int(match.group(1)))
    return min(found)


def report(
    title: str, counts: dict[str, int], baseline: str, targets: dict[str, float] | None = None
) -> list[str]:
    """Print each count as a ratio of ``baseline``; return the missed targets."""
    base = counts[baseline]
    print(f"\n{title} (instructions, ratio to '{baseline}', callgrind)")
    missed = []
    for name, value in counts.items():
        ratio = value / base
        target = (targets or {}).get(name)
        mark = ""
        if target is not None:
            ok = ratio <= target
            mark = f"  target <= {target:g}x: {'ok' if ok else 'MISSED'}"
            if not ok:
                missed.append(name)
        print(f"  {name:<38} {ratio:6.2f}x  ({value / 1e6:8.1f} M){mark}")
    return missed
