"""Use cases behind ``zen storage``: the stored conversations of a project."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ..errors import StorageUnavailableError, ZenConfigError
from ..text import printable
from .common import Context


def open_store(ctx: Context, project: str | None = None) -> Any:
    """The project's store for a data command; never the in-memory fallback.

    A data command on the fallback would show or export an empty store as if
    it were the project's data, so an unreachable project is an error here.
    """
    from ..runtime import opening

    name = project or ctx.project
    memory = ctx.memory if name is None else False
    local = ctx.local if name is None else False
    config = ctx.config_path if ctx.path_source == "--config" else None  # else found as usual
    selection, load = opening.select(name, memory, local=local, config=config, cwd=ctx.cwd)
    if selection.backend != "redis":
        return opening.open_storage(name, memory, local=local, config=config, cwd=ctx.cwd)
    from .. import spec

    loaded = load()
    assert selection.project is not None
    conn = spec.connection(selection.project, spec.connections(loaded.document)[selection.project])
    try:
        store = opening.open_redis(conn, loaded, fallback="error")
    except StorageUnavailableError as e:
        e.hint = (
            "data commands never use the in-memory fallback; check it with: "
            f"zen config test-connection {conn.name}"
        )
        raise
    store.selection = selection
    return store


def conversations(ctx: Context, project: str | None = None) -> Any:
    from ..storage.conversations import ConversationStore

    return ConversationStore(open_store(ctx, project))


def thread(ctx: Context, thread_id: str, project: str | None = None) -> Any:
    conv = conversations(ctx, project)
    found = conv.get_thread(thread_id)
    if found is None:
        raise ZenConfigError(
            f"no thread '{printable(thread_id, 80)}' in {conv.storage.name} "
            "(expired or never stored)",
            hint="list them with: zen storage threads",
        )
    return found


def stats(
    ctx: Context,
    project: str | None = None,
    every: bool = False,
    exact: bool = False,
    progress: Callable[..., None] | None = None,
) -> list[dict[str, Any]]:
    """One result per project (see ``transfer.stats``); with ``every``, an
    unreachable project is a row with its error, and the others are still counted."""
    from .. import spec
    from ..transfer.stats import stats as figures

    if not every:
        return [figures(open_store(ctx, project), exact, progress=progress)]
    results: list[dict[str, Any]] = []
    for name in sorted(spec.connections(ctx.load().document)):
        try:
            results.append(figures(open_store(ctx, name), exact, progress=progress))
        except ZenConfigError as e:
            results.append({"project": name, "error": str(e), "exit_code": int(e.exit_code)})
    return results


def export(
    ctx: Context,
    output: Path | None,
    stdout: IO[bytes],
    project: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[str, int]:
    """Every thread of the project as JSON Lines: to ``output`` (a new 0600
    file, in place once complete; see ``transfer.streams``) or to ``stdout``."""
    from ..transfer import jsonl, streams

    store = open_store(ctx, project)
    if output is None:
        return store.name, jsonl.export(store, stdout, progress)
    with streams.atomic_output(output) as handle:
        count = jsonl.export(store, handle, progress)
    return store.name, count


def import_(
    ctx: Context,
    source: Path | None,
    stdin: IO[bytes],
    project: str | None = None,
    replace: bool = False,
    progress: Callable[[int], None] | None = None,
) -> tuple[str, Any]:
    """Load an export (``source``; None: ``stdin``); the ``jsonl.ImportReport``.

    The file is opened before the store, so a missing file is named at once."""
    from ..transfer import jsonl, streams

    handle = stdin if source is None else streams.open_input(source)
    try:
        store = open_store(ctx, project)
        name = "-" if source is None else printable(str(source), 300)
        return store.name, jsonl.import_(store, handle, replace, name, progress)
    finally:
        if source is not None:
            handle.close()


def import_zen_files(
    ctx: Context, directory: Path | None = None, project: str | None = None
) -> tuple[str, Any]:
    """zen-cli's file store (``~/.zen/conversations``) into the project, through zen's API."""
    from ..runtime.compat import ZenBackend
    from ..transfer import zenfiles

    store = open_store(ctx, project)
    where = (directory or zenfiles.DEFAULT_DIR).expanduser()
    return store.name, zenfiles.import_files(ZenBackend(store), where)


LOCAL_ENDPOINT = "@local"  # project names never start with '@' (letters, digits, _ . -)


def copy(
    ctx: Context,
    source: str,
    target: str,
    *,
    on_conflict: str = "skip",
    dry_run: bool = False,
    method: str = "auto",
    progress: Any = None,
    restart: bool = False,
) -> Any:
    """Copy between two endpoints: a project name, or ``@local`` for the local store."""
    from .. import transfer
    from ..errors import UnknownProjectError, UsageError
    from ..text import printable

    if source == target:
        raise UsageError("--from and --to name the same store")
    stores = []
    for flag, name in (("--from", source), ("--to", target)):
        if name == LOCAL_ENDPOINT:
            from ..runtime import opening

            stores.append(opening.open_storage(local=True, config=ctx.config_path, cwd=ctx.cwd))
        elif name.startswith("@"):
            raise UsageError(
                f"unknown endpoint '{printable(name, 80)}'",
                hint=f"the local store is '{LOCAL_ENDPOINT}'; other names are projects",
            )
        else:
            try:
                stores.append(open_store(ctx, name))
            except UnknownProjectError as e:  # named by the flag the user gave
                e.where = f"{flag} {printable(name, 80)}"
                raise
    return transfer.copy(
        stores[0],
        stores[1],
        checkpoint=checkpoint_path(ctx, source, target),
        on_conflict=on_conflict,
        dry_run=dry_run,
        method=method,
        progress=progress,
        restart=restart,
    )


def checkpoint_path(ctx: Context, source: str, target: str) -> Path:
    """Where the copy from ``source`` to ``target`` keeps its checkpoint (and its lock)."""
    return ctx.config_path.parent / f"copy-{source}-to-{target}.checkpoint"
