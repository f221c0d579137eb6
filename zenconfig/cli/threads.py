"""``zen storage threads``, ``show`` and ``stats``: look at what a project holds."""

# No `from __future__ import annotations`: see cli/root.py.

import dataclasses
import time
from typing import Annotated, Any

import typer

from ..text import printable
from .boundary import boundary, note, out, out_json, warn
from .progress import counter
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
    index_note(found.project, found.index)


def index_note(project: str, state: str) -> None:
    """Say when the index does not hold every thread (see Store.thread_index_state)."""
    if state == "missing":
        warn(
            f"{project} holds threads its index lacks (written before the index "
            "existed); they are not listed or counted until: zen storage reindex"
        )
    elif state == "unknown":
        note(
            f"the thread index of {project} was not verified complete; if threads "
            "are missing, run once: zen storage reindex"
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
    failed = [r for r in results if "error" in r]
    results = [r for r in results if "error" not in r]
    if as_json:
        out_json(results + failed)
    elif results:
        out(stats_table(results))
    for r in results:
        index_note(r["project"], r["index"])
        if r["bytes_sampled"] and not as_json:
            note(
                f"turns and bytes of {r['project']} are estimated from {r['sampled']:,} of "
                f"{r['threads']:,} threads (95% interval); for exact figures: --exact"
            )
    for r in failed:
        typer.echo(f"zen: error: {r['error']}", err=True)
    if failed:
        raise typer.Exit(failed[0]["exit_code"])


def _about(value: int, error: int, sampled: bool, unit: Any = None) -> str:
    shown = f"{value:,}" if unit is None else unit(value)
    if not sampled:
        return shown
    share = f"{100 * error / value:.1f}%" if value else "0%"
    return f"~{shown} ±{share}"


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def _ago(stamp: str | None) -> str:
    if not stamp:
        return "-"
    from datetime import datetime

    return duration(int(max(time.time() - datetime.fromisoformat(stamp).timestamp(), 0))) + " ago"


def stats_table(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        sampled = r["bytes_sampled"]
        ttl_max = "none" if r["no_expiry"] else "-"
        if r["ttl_max"] is not None and not r["no_expiry"]:
            ttl_max = duration(r["ttl_max"])
        rows.append(
            [
                r["project"],
                f"{r['threads']:,}",
                _about(r["turns"], r["turns_error"], sampled),
                _about(r["bytes"], r["bytes_error"], sampled, _size),
                _ago(r["oldest_activity"]),
                _ago(r["newest_activity"]),
                "-" if r["ttl_min"] is None else duration(r["ttl_min"]),
                ttl_max,
            ]
        )
    headers = ["PROJECT", "THREADS", "TURNS", "BYTES", "OLDEST", "NEWEST", "TTL MIN", "TTL MAX"]
    return table(headers, rows)
