"""zen storage purge: remove the threads last updated before a cutoff, in batches.

Pages of the oldest threads come from the store's index
(``Store.thread_list_older``, oldest first, after a cursor) and each page is
deleted in one batch (``Store.thread_delete_many``) on the condition that the
thread was not written since it was listed: a conversation that comes back
to life during a purge is kept. Nothing is remembered between runs and
nothing needs to be: what a stopped purge removed is gone, so running it
again carries on with what is left. A dry run lists the same pages and
deletes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..storage.base import Store, ThreadRow

BATCH = 500


@dataclass
class PurgeReport:
    project: str
    cutoff: float  # epoch seconds: threads last updated before it
    dry_run: bool
    removed: int = 0  # or, in a dry run, would be removed
    turns: int = 0  # turns of those threads
    kept: int = 0  # listed, then written before they could be removed


def purge(
    store: Store,
    older_than: float,
    tool: str | None = None,
    dry_run: bool = False,
    each: Callable[[list[ThreadRow]], Any] | None = None,
    batch: int = BATCH,
) -> PurgeReport:
    """Remove (or list) threads last updated more than ``older_than`` seconds ago;
    ``each`` gets every page of threads removed, as it is removed."""
    report = PurgeReport(store.name, time.time() - older_than, dry_run)
    after: tuple[float, str] | None = None
    while True:
        rows = store.thread_list_older(report.cutoff, batch, tool, after)
        if not rows:
            return report
        last = rows[-1]
        after = (last.updated if last.updated is not None else report.cutoff, last.thread_id)
        if dry_run:
            done = rows
        else:
            deleted = store.thread_delete_many(
                [row.thread_id for row in rows], [row.last_updated_at for row in rows]
            )
            done = [row for row, ok in zip(rows, deleted, strict=True) if ok]
            report.kept += len(rows) - len(done)
        report.removed += len(done)
        report.turns += sum(row.turns for row in done)
        if each is not None and done:
            each(done)
