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
    """What delete or purge removed (or, in a dry run, would remove)."""

    project: str
    dry_run: bool = False
    removed: list[Any] = field(default_factory=list)  # ThreadRow (purge) or id (delete)
    missing: list[str] = field(default_factory=list)  # ids not found (delete)
    kept: int = 0  # listed for removal, written since, so kept (purge)
