"""``zen storage``: the app, and ``copy`` (the other commands register from
their modules: ``threads``, ``upkeep`` and ``moving``, see ``storage_group``)."""

# No `from __future__ import annotations`: see cli/root.py.

from typing import Annotated

import typer

from . import threads  # noqa: F401  (its commands register on storage_app, first)

# isort: split
from . import upkeep  # noqa: F401  (then these)

# isort: split
from . import moving  # noqa: F401  (and these)
from .boundary import boundary, out_json
from .state import context
from .storage_group import JsonOpt, storage_app

__all__ = ["storage_app"]


@storage_app.command("copy", epilog="Example: zen storage copy --from @local --to p1 --dry-run")
@boundary
def copy(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Option("--from", metavar="NAME", help="Source: a project, or @local.")
    ],
    target: Annotated[
        str, typer.Option("--to", metavar="NAME", help="Target: a project, or @local.")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would be copied.")] = False,
    on_conflict: Annotated[
        str, typer.Option(metavar="MODE", help="skip (keep the target's), replace or fail.")
    ] = "skip",
    method: Annotated[
        str,
        typer.Option(
            metavar="METHOD", help="auto, copy (one server), migrate, dump, or store (@local)."
        ),
    ] = "auto",
    restart: Annotated[
        bool,
        typer.Option("--restart", help="Discard an interrupted copy of this pair; start over."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Copy every key of one project (or @local, the local store) to another:
    prefix rewritten, TTLs kept, verified, resumable."""
    from .copying import summary, with_bar

    options = dict(on_conflict=on_conflict, dry_run=dry_run, method=method, restart=restart)
    try:
        report = with_bar(context(ctx), source, target, options, wanted=not as_json)
    except KeyboardInterrupt:
        again = f"zen storage copy --from {source} --to {target}"
        resume = "" if dry_run else f"; to resume where it stopped, run: {again}"
        typer.echo(f"zen: interrupted{resume}", err=True)
        raise typer.Exit(130) from None
    if as_json:
        out_json(report.as_dict())
    summary(report, source, target)
