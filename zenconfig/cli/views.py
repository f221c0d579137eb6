"""``zen config`` commands that read: list, show, current; and use."""

# No `from __future__ import annotations`: see cli/root.py.

from typing import Annotated

import typer

from . import output
from .boundary import boundary, emit
from .state import context

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@boundary
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the projects; '*' marks the default when storage.type is redis."""
    from ..core import views as core

    emit(output.listing(core.list_projects(context(ctx)), as_json))


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

    emit(output.showing(core.show(context(ctx), name, reveal=reveal), as_json))


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

    emit(output.current(core.current(context(ctx)), as_json, short))


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
    where = core.local_database(context(ctx)) if name is None and result == "local" else None
    emit(output.used(result, name, here, where))
