"""``zen storage``: look at what is stored (threads, one thread)."""

# No `from __future__ import annotations`: see cli/app.py.

from typing import TYPE_CHECKING, Annotated

import typer

from .boundary import boundary, new_app, note, out, out_json, warn
from .render import duration, table
from .state import options

if TYPE_CHECKING:
    from ..storage.base import Store
    from ..storage.conversations import ConversationStore

storage_app = new_app(
    "storage", "Look at stored conversations of the resolved project (or memory)."
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _conversations(ctx: typer.Context) -> "tuple[Store, ConversationStore]":
    from .. import ConversationStore, open_storage

    opts = options(ctx)
    store = open_storage(opts.project, opts.memory, config=opts.config)
    if store.degraded:
        warn(f"showing the in-memory fallback of '{store.selection.project}', not Redis")
    return store, ConversationStore(store)


@storage_app.command("threads", epilog="Example: zen --project p1 storage threads --json")
@boundary
def threads(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the conversation threads of the resolved project, newest first."""
    store, conversations = _conversations(ctx)
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
    from ..errors import ZenConfigError

    store, conversations = _conversations(ctx)
    thread = conversations.get_thread(thread_id)
    if thread is None:
        raise ZenConfigError(
            f"no thread '{thread_id}' in {store.name} (expired or never stored)",
            hint="list them with: zen storage threads",
        )
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
