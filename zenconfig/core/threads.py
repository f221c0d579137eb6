"""Use cases behind ``zen storage threads``, ``delete``, ``purge``, ``reindex``:
threads found through the store's index, costing what the answer needs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from .common import Context
from .data import open_store

Progress = Callable[..., None] | None


def seconds(text: str, option: str) -> float:
    """A duration given on the command line (``90s``, ``2h 30m``, ``7d``)."""
    from ..durations import DurationError, parse

    try:
        return parse(text)
    except DurationError as e:
        raise UsageError(f"{option}: {e}") from None


@dataclass
class Listing:
    project: str
    rows: list[Any]  # storage.base.ThreadRow, newest first
    index: str  # "complete", "missing" or "unknown" (Store.thread_index_state)


def listing(
    ctx: Context,
    limit: int = 50,
    since: str | None = None,
    tool: str | None = None,
    project: str | None = None,
) -> Listing:
    """At most ``limit`` threads, newest first, updated within ``since`` (a duration)."""
    if limit < 1:
        raise UsageError(f"--limit must be at least 1, not {limit}")
    oldest = None if since is None else time.time() - seconds(since, "--since")
    store = open_store(ctx, project)
    rows = store.thread_list(limit, oldest, tool)
    return Listing(store.name, rows, store.thread_index_state())


@dataclass
class Removal:
    """What delete removed, and the ids it did not find."""

    project: str
    removed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def delete(ctx: Context, thread_ids: list[str], project: str | None = None) -> Removal:
    """Delete each thread whole (with its index entry); ids not found are reported."""
    unique = list(dict.fromkeys(thread_ids))
    if any(not tid for tid in unique):
        raise UsageError("a thread id is empty")
    store = open_store(ctx, project)
    done = store.thread_delete_many(unique)
    return Removal(
        store.name,
        removed=[tid for tid, ok in zip(unique, done, strict=True) if ok],
        missing=[tid for tid, ok in zip(unique, done, strict=True) if not ok],
    )


def purge(
    ctx: Context,
    older_than: str,
    tool: str | None = None,
    dry_run: bool = False,
    each: Callable[[list[Any]], Any] | None = None,
    project: str | None = None,
) -> Any:
    """Threads last updated longer ago than ``older_than`` (a duration), removed in
    batches; ``each`` sees every page as it goes. The ``transfer.purge.PurgeReport``."""
    from ..transfer.purge import purge as run

    age = seconds(older_than, "--older-than")
    return run(open_store(ctx, project), age, tool, dry_run, each)


def reindex(ctx: Context, project: str | None = None, progress: Progress = None) -> tuple[str, int]:
    """Index every thread of the project (resumable); (project, threads indexed)."""
    store = open_store(ctx, project)
    return store.name, store.thread_reindex(progress)
