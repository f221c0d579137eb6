"""``zen storage delete``, ``purge`` and ``reindex``: upkeep of a project's threads."""

# No `from __future__ import annotations`: see cli/root.py.

import time
from typing import Annotated, Any

import typer

from ..text import printable
from .boundary import boundary, note, out
from .progress import counter
from .render import duration
from .state import context
from .storage_group import JsonOpt, ProjectOpt, storage_app
from .threads import safe_json


@storage_app.command("delete", epilog="Example: zen storage delete 5f0c… 9a1e…")
@boundary
def delete(
    ctx: typer.Context,
    thread_ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Thread ids.")],
    project: ProjectOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete threads (each whole, with its index entry). Exit 1 if one was not found."""
    from ..core import threads as use
    from ..errors import ZenConfigError

    found = use.delete(context(ctx), thread_ids, project)
    if as_json:
        safe_json({"project": found.project, "deleted": found.removed, "missing": found.missing})
    else:
        for tid in found.removed:
            out(f"deleted {printable(tid, 200)}")
    note(f"deleted {len(found.removed)} thread(s) from {found.project}")
    if found.missing:
        shown = ", ".join(f"'{printable(tid, 80)}'" for tid in found.missing[:10])
        more = f" and {len(found.missing) - 10} more" if len(found.missing) > 10 else ""
        raise ZenConfigError(
            f"no thread {shown}{more} in {found.project} (expired or never stored)",
            hint="list them with: zen storage threads",
        )


@storage_app.command("purge", epilog="Example: zen storage purge --older-than 30d --dry-run")
@boundary
def purge(
    ctx: typer.Context,
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than", metavar="DURATION", help="Last updated longer ago (90m, 7d, 4w)."
        ),
    ],
    tool: Annotated[
        str | None, typer.Option(metavar="NAME", help="Only threads of this tool.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be removed; change nothing.")
    ] = False,
    project: ProjectOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove the threads last updated longer ago than DURATION, oldest first, in
    batches; prints each one removed. Stopped halfway, run it again to finish."""
    from ..core import threads as use

    listed: list[dict[str, Any]] = []
    verb = "would remove" if dry_run else "removed"
    now = time.time()

    def each(rows: list[Any]) -> None:
        if as_json:
            listed.extend(
                {
                    "thread_id": r.thread_id,
                    "tool_name": r.tool_name,
                    "turns": r.turns,
                    "last_updated_at": r.last_updated_at,
                }
                for r in rows
            )
            return
        for r in rows:
            age = duration(int(max(now - r.updated, 0))) + " ago" if r.updated else "-"
            what = f"{printable(r.tool_name, 40) or '-'}, {r.turns} turns, updated {age}"
            out(f"{verb} {printable(r.thread_id, 200)}  ({what})")

    report = use.purge(context(ctx), older_than, tool, dry_run, each, project)
    if as_json:
        safe_json(
            {
                "project": report.project,
                "dry_run": report.dry_run,
                "older_than": older_than,
                "tool": tool,
                "removed": report.removed,
                "turns": report.turns,
                "kept": report.kept,
                "threads": listed,
            }
        )
    of_tool = f" of tool {printable(tool, 40)}" if tool else ""
    kept = f"; {report.kept} kept: written since they were listed" if report.kept else ""
    note(
        f"{verb} {report.removed:,} thread(s){of_tool} ({report.turns:,} turns) of "
        f"{report.project} last updated more than {printable(older_than, 40)} ago{kept}"
    )


@storage_app.command("reindex", epilog="Example: zen storage reindex --project p1")
@boundary
def reindex(ctx: typer.Context, project: ProjectOpt = None) -> None:
    """Rebuild the thread index from the stored threads (data written before the
    index existed). Resumable: stopped halfway, it continues where it stopped."""
    from ..core import threads as use

    started = time.perf_counter()
    with counter("indexing", "threads") as progress:
        name, count = use.reindex(context(ctx), project, progress)
    took = time.perf_counter() - started
    note(f"indexed {count:,} thread(s) of {name} in {took:.1f}s; its index is complete")
