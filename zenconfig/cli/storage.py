"""``zen storage``: look at what is stored (threads, one thread)."""

# No `from __future__ import annotations`: see cli/root.py.

from pathlib import Path
from typing import Annotated, Any

import typer

from .boundary import boundary, new_app, note, out, out_json
from .render import duration, table
from .state import context

storage_app = new_app(
    "storage", "Look at stored conversations of the resolved project (or memory)."
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


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


ProjectOpt = Annotated[
    str | None,
    typer.Option("--project", "-p", metavar="NAME", help="Project (default: the resolved one)."),
]


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


@storage_app.command("export", epilog="Example: zen storage export --project p1 -o p1.jsonl")
@boundary
def export(
    ctx: typer.Context,
    project: ProjectOpt = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write here (default: stdout)."),
    ] = None,
) -> None:
    """Write every thread as JSON Lines (one thread per line, with its remaining TTL)."""
    import sys

    from ..core import data

    if output is None:
        name, count = data.export(context(ctx), sys.stdout, project)
    else:
        with output.open("w", encoding="utf-8") as handle:
            name, count = data.export(context(ctx), handle, project)
    note(f"exported {count} thread(s) from {name}")


@storage_app.command("import", epilog="Example: zen storage import p1.jsonl --project p2")
@boundary
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
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
    """Load threads written by 'zen storage export', or zen-cli's own files."""
    import sys

    from ..core import data
    from ..errors import UsageError

    if from_zen_files:
        name, found = data.import_zen_files(context(ctx), file, project)
        for problem in found.rejected:
            typer.echo(f"zen: warning: skipped {problem}", err=True)
        note(
            f"imported {found.threads} thread(s) and {found.keys} other key(s) from zen-cli's "
            f"files into {name} ({found.expired} expired, {len(found.rejected)} skipped)"
        )
        if found.rejected:
            raise typer.Exit(1)
        return
    if file is None:
        raise UsageError("give the FILE to import ('-' for standard input)")
    if str(file) == "-":
        name, report = data.import_(context(ctx), sys.stdin, "-", project, replace)
    else:
        with file.open(encoding="utf-8") as handle:
            name, report = data.import_(context(ctx), handle, str(file), project, replace)
    note(
        f"imported {report.imported} thread(s) into {name} "
        f"({report.skipped} skipped as existing, {report.replaced} replaced)"
    )


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
    import sys

    from ..core import data
    from .copying import summary, with_bar

    options = dict(on_conflict=on_conflict, dry_run=dry_run, method=method, restart=restart)
    try:
        if sys.stderr.isatty() and not as_json:
            report = with_bar(context(ctx), source, target, options)
        else:
            report = data.copy(context(ctx), source, target, **options)  # type: ignore[arg-type]
    except KeyboardInterrupt:
        again = f"zen storage copy --from {source} --to {target}"
        resume = "" if dry_run else f"; to resume where it stopped, run: {again}"
        typer.echo(f"zen: interrupted{resume}", err=True)
        raise typer.Exit(130) from None
    if as_json:
        out_json(report.as_dict())
    summary(report, source, target)
