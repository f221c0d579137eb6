"""``zen storage export`` and ``zen storage import``: JSON Lines in and out."""

# No `from __future__ import annotations`: see cli/root.py.

from pathlib import Path
from typing import Annotated

import typer

from .boundary import boundary, note, report
from .progress import counter
from .state import context
from .storage_group import ProjectOpt, storage_app

SHOWN_REJECTS = 200  # rejected lines named one by one; the rest are counted


@storage_app.command("export", epilog="Example: zen storage export --project p1 -o p1.jsonl")
@boundary
def export(
    ctx: typer.Context,
    project: ProjectOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write here, as a new 0600 file (default: stdout).",
        ),
    ] = None,
) -> None:
    """Write every thread as JSON Lines (one thread per line, with its remaining TTL)."""
    import sys

    from ..core import data

    with counter("exporting", "threads", output is not None) as progress:
        name, count = data.export(context(ctx), output, sys.stdout.buffer, project, progress)
    sys.stdout.flush()
    note(f"exported {count} thread(s) from {name}")


@storage_app.command("import", epilog="Example: zen storage import p1.jsonl --project p2")
@boundary
def import_(
    ctx: typer.Context,
    file: Annotated[
        str | None,
        typer.Argument(
            metavar="FILE",
            help="JSON Lines from 'zen storage export' ('-': stdin); with --from-zen-files, "
            "zen-cli's directory (default ~/.zen/conversations).",
        ),
    ] = None,
    project: ProjectOpt = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace threads that exist.")] = False,
    from_zen_files: Annotated[
        bool,
        typer.Option("--from-zen-files", help="Import zen-cli's file store instead of an export."),
    ] = False,
) -> None:
    """Load threads written by 'zen storage export', or zen-cli's own files.

    Every line is checked first; a line that is not a whole thread is reported
    by number and skipped, the others are imported (each thread whole or not
    at all), and the command exits 1 when any line was rejected."""
    import sys

    from ..core import data
    from ..errors import UsageError, ZenConfigError
    from ..text import printable

    if from_zen_files:
        _zen_files(ctx, None if file is None else Path(file), project)
        return
    if file is None:
        raise UsageError("give the FILE to import ('-' for standard input)")
    source = None if file == "-" else Path(file)
    where = printable(file, 300)
    with counter("importing", "threads", True) as progress:
        name, found = data.import_(
            context(ctx), source, sys.stdin.buffer, project, replace, progress
        )
    for number, why in found.rejected[:SHOWN_REJECTS]:
        report(ZenConfigError(f"line rejected: {why}", where=f"{where}:{number}"))
    if len(found.rejected) > SHOWN_REJECTS:
        note(f"... and {len(found.rejected) - SHOWN_REJECTS} more rejected line(s)")
    note(
        f"imported {found.imported} thread(s) into {name} "
        f"({found.skipped} skipped as existing, {found.replaced} replaced, "
        f"{len(found.rejected)} rejected)"
    )
    if found.stopped is not None:
        stopped = found.stopped
        stopped.hint = (
            f"the import stopped after line {found.lines}; each thread is written whole, so "
            "run the same import again to finish it (threads already there are skipped)"
        )
        raise stopped
    if found.rejected:
        raise ZenConfigError(
            f"{len(found.rejected)} line(s) rejected, nothing of them written",
            where=where,
            hint="fix those lines and import the file again (threads already there are skipped)",
        )


def _zen_files(ctx: typer.Context, directory: Path | None, project: str | None) -> None:
    from ..core import data

    name, found = data.import_zen_files(context(ctx), directory, project)
    for problem in found.rejected:
        typer.echo(f"zen: warning: skipped {problem}", err=True)
    note(
        f"imported {found.threads} thread(s) and {found.keys} other key(s) from zen-cli's "
        f"files into {name} ({found.expired} expired, {len(found.rejected)} skipped)"
    )
    if found.rejected:
        raise typer.Exit(1)
