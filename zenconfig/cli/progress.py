"""A progress bar on a terminal, nothing elsewhere; rich loads only when shown.

``counter(verb, unit, wanted)`` yields a callback ``advance(n, total=None)``
for the use case to call as it works (``total`` when it becomes known), or
None when stderr is not a terminal (scripts, pipes, tests): no bar, no cost.
The bar is drawn on stderr; stdout carries data only. The one bar of every
command (import, export, copy, reindex, stats --exact).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..text import printable

Advance = Callable[..., None]


@contextlib.contextmanager
def counter(verb: str, unit: str, wanted: bool = True) -> Iterator[Advance | None]:
    if not (wanted and sys.stderr.isatty()):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.fields[verb]}", markup=False),  # names are shown, never read
        BarColumn(),
        TextColumn("{task.completed:,.0f} " + unit + "  {task.fields[rate]}/s"),
        TimeElapsedColumn(),
        console=Console(stderr=True),  # stdout carries data only
        redirect_stdout=False,
        transient=True,
    )
    task = bar.add_task(verb, total=None, rate="-", verb=printable(verb))
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
