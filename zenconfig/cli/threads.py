"""``zen storage threads``, ``show`` and ``stats``: look at what a project holds."""

# No `from __future__ import annotations`: see cli/root.py.

from typing import Annotated, Any

import typer

from ..text import printable
from . import storage_output
from .boundary import boundary, emit, out
from .progress import counter
from .state import context
from .storage_group import JsonOpt, ProjectOpt, storage_app


@storage_app.command("threads", epilog="Example: zen storage threads --since 2h --tool chat")
@boundary
def threads(
    ctx: typer.Context,
    limit: Annotated[
        int, typer.Option("--limit", "-n", metavar="N", help="Show at most N threads.")
    ] = 50,
    since: Annotated[
        str | None,
        typer.Option(metavar="DURATION", help="Only threads updated within it (90s, 2h, 7d)."),
    ] = None,
    tool: Annotated[
        str | None, typer.Option(metavar="NAME", help="Only threads of this tool.")
    ] = None,
    project: ProjectOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the conversation threads of the resolved project, newest first.

    Reads the project's thread index: it costs what it shows, not what the
    project holds. A malformed stored thread is listed with its problem."""
    from ..core import threads as use

    found = use.listing(context(ctx), limit, since, tool, project)
    emit(storage_output.threads(found, as_json, bool(since or tool)))


def safe_json(data: Any) -> None:
    """JSON of stored text, every non-ASCII and control character escaped (still exact)."""
    typer.echo(storage_output.safe_json(data))


@storage_app.command("show", epilog="Example: zen storage show 5f0c…  --json")
@boundary
def show(
    ctx: typer.Context,
    thread_id: Annotated[str, typer.Argument(metavar="ID", help="Thread id.")],
    project: ProjectOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one thread with its turns (control characters escaped)."""
    from ..core import data

    thread = data.thread(context(ctx), thread_id, project)
    if as_json:
        safe_json(thread.model_dump())
        return
    turns = len(thread.turns)
    out(f"thread   {printable(thread.thread_id)}  ({printable(thread.tool_name)}, {turns} turns)")
    out(f"created  {printable(thread.created_at)}   updated {printable(thread.last_updated_at)}")
    if thread.parent_thread_id:
        out(f"parent   {printable(thread.parent_thread_id)}")
    for turn in thread.turns:
        model = f" [{printable(turn.model_name)}]" if turn.model_name else ""
        out(f"\n--- {printable(turn.role)}{model} {printable(turn.timestamp)}")
        for text in turn.content.split("\n"):
            out(printable(text.replace("\t", "    ")))


@storage_app.command("stats", epilog="Example: zen storage stats --all --json")
@boundary
def stats(
    ctx: typer.Context,
    project: ProjectOpt = None,
    every: Annotated[bool, typer.Option("--all", help="Every project.")] = False,
    exact: Annotated[
        bool, typer.Option("--exact", help="Read every thread (turns and bytes not estimated).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Per project: threads, turns, bytes, oldest/newest activity, TTL spread.

    Threads, activity and TTLs are exact and cost the same for any project
    size; past 1,000 threads, turns and bytes are estimated from a sample of
    1,000, shown with a 95% interval (--exact reads them all)."""
    from ..core import data

    with counter("reading", "threads", exact and not as_json) as progress:
        results = data.stats(context(ctx), project, every, exact, progress)
    output, code = storage_output.stats(results, as_json)
    emit(output)
    if code:
        raise typer.Exit(code)
