"""``zen storage threads``, ``show`` and ``stats``: look at what a project holds."""

# No `from __future__ import annotations`: see cli/root.py.

import dataclasses
import time
from typing import Annotated, Any

import typer

from ..text import printable
from .boundary import boundary, note, out, out_json, warn
from .render import duration, table
from .state import context
from .storage_app import JsonOpt, ProjectOpt, storage_app


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
    if as_json:
        safe_json([dataclasses.asdict(row) for row in found.rows])
    elif found.rows:
        out(listing_table(found.rows))
    else:
        note(f"no threads in {found.project}" + (" match" if since or tool else ""))
    for row in found.rows:
        if row.problem:
            warn(f"thread {printable(row.thread_id, 80)} is malformed: {printable(row.problem)}")
    if found.index == "missing":
        warn(
            f"{found.project} holds threads its index lacks (written before the index "
            "existed); they are not listed until: zen storage reindex"
        )
    elif found.index == "unknown":
        note(
            f"the thread index of {found.project} was not verified complete; if threads "
            "are missing from this list, run once: zen storage reindex"
        )


def listing_table(rows: list[Any]) -> str:
    now = time.time()
    problems = any(row.problem for row in rows)
    headers = ["THREAD", "TOOL", "TURNS", "UPDATED", "EXPIRES IN"] + (
        ["PROBLEM"] if problems else []
    )
    lines = []
    for row in rows:
        if row.updated is not None:
            updated = duration(int(max(now - row.updated, 0))) + " ago"
        else:
            updated = printable(row.last_updated_at, 40) or "-"
        cells = [
            printable(row.thread_id, 80),
            printable(row.tool_name, 40) or "-",
            row.turns,
            updated,
            duration(row.ttl) if row.ttl >= 0 else "-",
        ]
        lines.append(cells + ([printable(row.problem or "", 80)] if problems else []))
    return table(headers, lines)


def safe_json(data: Any) -> None:
    """JSON of stored text, every non-ASCII and control character escaped (still exact)."""
    import json

    typer.echo(json.dumps(data, indent=2, ensure_ascii=True))


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
    as_json: JsonOpt = False,
) -> None:
    """Per project: threads, turns, bytes, oldest/newest activity, TTL spread."""
    from ..core import data

    results = data.stats(context(ctx), project, every)
    failed = [r for r in results if "error" in r]
    results = [r for r in results if "error" not in r]
    if as_json:
        out_json(results + failed)
    elif results:
        _stats_table(results)
    for r in failed:
        typer.echo(f"zen: error: {r['error']}", err=True)
    if failed:
        raise typer.Exit(failed[0]["exit_code"])


def _stats_table(results: list[dict[str, Any]]) -> None:
    out(
        table(
            ["PROJECT", "THREADS", "TURNS", "BYTES", "OLDEST", "NEWEST", "TTL MIN", "TTL MAX"],
            [
                [
                    r["project"],
                    r["threads"],
                    r["turns"],
                    ("~" if r["bytes_sampled"] else "") + str(r["bytes"]),
                    r["oldest_activity"] or "-",
                    r["newest_activity"] or "-",
                    duration(r["ttl_min"]) if r["ttl_min"] and r["ttl_min"] > 0 else "-",
                    duration(r["ttl_max"]) if r["ttl_max"] and r["ttl_max"] > 0 else "-",
                ]
                for r in results
            ],
        )
    )
