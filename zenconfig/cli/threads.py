"""``zen storage threads``, ``show`` and ``stats``: look at what a project holds."""

# No `from __future__ import annotations`: see cli/root.py.

from typing import Annotated, Any

import typer

from .boundary import boundary, note, out, out_json
from .render import duration, table
from .state import context
from .storage_app import JsonOpt, ProjectOpt, storage_app


@storage_app.command("threads", epilog="Example: zen --project p1 storage threads --json")
@boundary
def threads(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the conversation threads of the resolved project, newest first."""
    from ..core import data

    conversations = data.conversations(context(ctx))
    store = conversations.storage
    found = conversations.list_threads()
    if as_json:
        out_json([t.model_dump() for t in found])
        return
    if not found:
        note(f"no threads in {store.name}")
        return
    out(
        table(
            ["THREAD", "TOOL", "TURNS", "UPDATED", "EXPIRES IN"],
            [
                [
                    t.thread_id,
                    t.tool_name,
                    t.turns,
                    t.last_updated_at,
                    duration(t.ttl) if t.ttl >= 0 else "-",
                ]
                for t in found
            ],
        )
    )


@storage_app.command("show", epilog="Example: zen storage show 5f0c…  --json")
@boundary
def show(
    ctx: typer.Context,
    thread_id: Annotated[str, typer.Argument(metavar="ID", help="Thread id.")],
    as_json: JsonOpt = False,
) -> None:
    """Show one thread with its turns."""
    from ..core import data

    thread = data.thread(context(ctx), thread_id)
    if as_json:
        out_json(thread.model_dump())
        return
    out(f"thread   {thread.thread_id}  ({thread.tool_name}, {len(thread.turns)} turns)")
    out(f"created  {thread.created_at}   updated {thread.last_updated_at}")
    if thread.parent_thread_id:
        out(f"parent   {thread.parent_thread_id}")
    for turn in thread.turns:
        who = turn.role + (f" [{turn.model_name}]" if turn.model_name else "")
        out(f"\n--- {who} {turn.timestamp}")
        out(turn.content)


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
