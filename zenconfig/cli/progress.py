"""A progress bar on a terminal, nothing elsewhere; rich loads only when shown.

``counter(verb, unit, wanted)`` yields a callback ``advance(n, total=None)``
for the use case to call as it works (``total`` when it becomes known), or
None when stderr is not a terminal (scripts, pipes, tests): no bar, no cost.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

Advance = Callable[..., None]


@contextlib.contextmanager
def counter(verb: str, unit: str, wanted: bool = True) -> Iterator[Advance | None]:
    if not (wanted and sys.stderr.isatty()):
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn(f"{verb}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} " + unit + "  {task.fields[rate]}/s"),
        TimeElapsedColumn(),
        transient=True,
    )
    task = bar.add_task(verb, total=None, rate="-")
    started = time.perf_counter()

    def advance(n: int, total: int | None = None) -> None:
        fields: dict[str, Any] = {}
        if total is not None:
            fields["total"] = total
        done = bar.tasks[0].completed + n
        rate = done / max(time.perf_counter() - started, 1e-9)
        bar.update(task, advance=n, rate=f"{rate:,.0f}", **fields)

    with bar:
        yield advance
