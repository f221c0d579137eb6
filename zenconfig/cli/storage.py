"""``zen storage``: the app, and ``copy`` (the other commands register from
their modules: ``threads``, ``upkeep`` and ``moving``, see ``storage_app``)."""

# No `from __future__ import annotations`: see cli/root.py.

from typing import Annotated

import typer

from . import threads  # noqa: F401  (its commands register on storage_app, first)

# isort: split
from . import upkeep  # noqa: F401  (then these)

# isort: split
from . import moving  # noqa: F401  (and these)
from .boundary import boundary, note, out_json
from .state import context
from .storage_app import JsonOpt, storage_app

__all__ = ["storage_app"]


@storage_app.command("copy", epilog="Example: zen storage copy --from p1 --to p2 --dry-run")
@boundary
def copy(
    ctx: typer.Context,
    source: Annotated[str, typer.Option("--from", metavar="NAME", help="Source project.")],
    target: Annotated[str, typer.Option("--to", metavar="NAME", help="Target project.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would be copied.")] = False,
    on_conflict: Annotated[
        str, typer.Option(metavar="MODE", help="skip, replace or fail.")
    ] = "skip",
    method: Annotated[
        str, typer.Option(metavar="METHOD", help="auto, copy (one server), migrate or dump.")
    ] = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Copy every key of one project to another: prefix rewritten, TTLs kept, resumable."""
    import sys
    import time

    from ..core import data

    show_bar = sys.stderr.isatty() and not as_json
    if show_bar:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(
            TextColumn("copying {task.fields[what]}"),
            BarColumn(),
            TextColumn("{task.completed} keys  {task.fields[rate]} keys/s"),
            TimeElapsedColumn(),
            transient=True,
        )
        started = time.perf_counter()
        task = bar.add_task("copy", total=None, what=f"{source} -> {target}", rate="-")

        def advance(n: int) -> None:
            done = bar.tasks[0].completed + n
            rate = done / max(time.perf_counter() - started, 1e-9)
            bar.update(task, advance=n, rate=f"{rate:,.0f}")

        with bar:
            report = data.copy(
                context(ctx),
                source,
                target,
                on_conflict=on_conflict,
                dry_run=dry_run,
                method=method,
                progress=advance,
            )
    else:
        report = data.copy(
            context(ctx),
            source,
            target,
            on_conflict=on_conflict,
            dry_run=dry_run,
            method=method,
        )
    if as_json:
        out_json(report.as_dict())
    verb = "would copy" if dry_run else "copied"
    rate = report.copied / report.seconds if report.seconds else 0
    note(
        f"{verb} {report.copied} key(s) {source} -> {target} by {report.method} "
        f"({report.skipped} skipped, {rate:,.0f} keys/s){' after resuming' if report.resumed else ''}"
    )
    if report.verified:
        v = report.verified
        note(
            f"verified: {v['source_keys'] - v['missing_at_target']}/{v['source_keys']} keys present, "
            f"{v['values_equal']}/{v['sampled']} sampled values and {v['ttls_within_5s']} TTLs match"
        )
        if not v["ok"]:
            from ..errors import ZenConfigError

            raise ZenConfigError("verification failed", hint="run the copy again to fill the gaps")
