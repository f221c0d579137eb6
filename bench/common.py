"""Shared helpers: interleaved timing of whole commands, ratio tables."""

from __future__ import annotations

import random
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence

Runner = Callable[[], object]


def command(argv: Sequence[str], env: dict[str, str] | None = None) -> Runner:
    def run() -> None:
        subprocess.run(
            list(argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )

    return run


def interleaved(cases: dict[str, Runner], rounds: int, seed: int = 7) -> dict[str, float]:
    """Median seconds of each case, all cases run once per round in shuffled order."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    order = list(cases)
    rng = random.Random(seed)
    for run in cases.values():  # warm the page cache and .pyc files
        run()
    for _ in range(rounds):
        rng.shuffle(order)
        for name in order:
            started = time.perf_counter()
            cases[name]()
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in samples.items()}


def report(
    title: str, medians: dict[str, float], baseline: str, targets: dict[str, float] | None = None
) -> list[str]:
    """Print each median as a ratio of ``baseline``; return the missed targets."""
    base = medians[baseline]
    print(f"\n{title} (ratio to '{baseline}', medians of one interleaved run)")
    missed = []
    for name, value in medians.items():
        ratio = value / base
        target = (targets or {}).get(name)
        mark = ""
        if target is not None:
            ok = ratio <= target
            mark = f"  target <= {target:g}x: {'ok' if ok else 'MISSED'}"
            if not ok:
                missed.append(name)
        print(f"  {name:<38} {ratio:6.2f}x  ({value * 1000:7.1f} ms){mark}")
    return missed
