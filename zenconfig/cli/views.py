"""``zen config`` commands that read: list, show, current; and use."""

# No `from __future__ import annotations`: see cli/app.py.

from typing import Annotated

import typer

from . import render
from .boundary import boundary, note, out, out_json, warn
from .state import context

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@boundary
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the projects; '*' marks the default when storage.type is redis."""
    from ..core import views as core

    rows = core.list_projects(context(ctx))
    if as_json:
        out_json(rows)
        return
    if not rows:
        note("no projects yet; add one: zen config add-project NAME --host HOST")
        return
    out(
        render.table(
            ["CURRENT", "NAME", "ADDRESS", "PREFIX", "TTL", "PASSWORD"],
            [
                [
                    "*" if r["active"] else "",
                    r["name"],
                    ("tls " if r["tls"] else "") + r["address"],
                    r["key_prefix"],
                    render.duration(r["conversation_ttl_seconds"]),
                    r["password"],
                ]
                for r in rows
            ],
        )
    )


@boundary
def show(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(metavar="NAME", help="Project (default: the resolved one).")
    ] = None,
    reveal: Annotated[bool, typer.Option("--reveal", help="Show the password itself.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show a project: every value and where it comes from."""
    from ..core import views as core

    data = core.show(context(ctx), name, reveal=reveal)
    if as_json:
        out_json(data)
        return
    selected = data["selected"]
    if data["backend"] != "redis":
        out(f"{data['backend']} store (from {selected['detail']})")
        return
    for warning in data["warnings"]:
        warn(warning)
    source = (
        "named on the command line"
        if selected["source"] == "argument"
        else (f"from {selected['detail']}")
    )
    out(f"project  {data['name']}  ({source})")
    out(f"file     {data['file']}")
    out()
    rows = [[v["field"], render.value(v["value"]), v["source"]] for v in data["values"]]
    password = data["password"]
    rows.append(["password", password["value"] or "-", password["source"]])
    out(render.table(["FIELD", "VALUE", "SOURCE"], rows))


@boundary
def current(
    ctx: typer.Context,
    as_json: JsonOpt = False,
    short: Annotated[
        bool,
        typer.Option("--short", help="Only the name: the project, memory or local (for prompts)."),
    ] = False,
) -> None:
    """Print the project commands will use, and why."""
    from ..core import views as core

    selection = core.current(context(ctx))
    if as_json:
        out_json(selection.as_dict())
    elif short:
        out(selection.short)
    else:
        out(f"{selection.short}  (from {selection.detail})")


@boundary
def use(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(metavar="NAME", help="Project to make the default.")
    ] = None,
    memory: Annotated[bool, typer.Option("--memory", help="Keep conversations in memory.")] = False,
    local: Annotated[
        bool, typer.Option("--local", help="Keep conversations in a file on this machine.")
    ] = False,
    here: Annotated[bool, typer.Option("--here", help="Pin it in ./.zen-project instead.")] = False,
) -> None:
    """Set the default project, switch to memory or the local store, or pin a project here."""
    from ..core import projects as core

    result = core.use(context(ctx), name, memory=memory, here=here, local=local)
    if here:
        note(f"wrote {result}: '{name}' is used in this directory and below")
    elif result == "memory":
        note("storage is now in memory (projects are kept)")
    elif result == "local":
        note("storage is now the local store, storage.local.path (projects are kept)")
    else:
        note(f"'{result}' is now the default project")
