"""Many threads at once on the local store: the oldest first (purge), delete in batches.

``older`` walks ``threads_by_update`` (or ``threads_by_tool``) from the
cursor ``(updated, id)``, so each page costs O(page), however many threads
are older. ``delete_many`` deletes ``CHUNK`` threads per transaction; with
``unchanged``, a thread whose ``last_updated_at`` changed since it was listed
is kept (checked in the same transaction).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from .base import ThreadRow, ThreadSurvey, lacking_meta
from .local_schema import LIVE, META_COLUMNS

CHUNK = 500


def rows_of(rows: list[Any], now: float) -> list[ThreadRow]:
    """Listing rows from (id, tool_name, created_at, last_updated_at, turns, expires,
    updated) rows of the threads table."""
    listed = []
    for thread_id, tool_name, created, last, turns, expires, score in rows:
        values = (tool_name, created, last)
        present = {n: v for n, v in zip(META_COLUMNS, values, strict=True) if v is not None}
        listed.append(
            ThreadRow(
                thread_id=thread_id,
                tool_name=tool_name or "",
                created_at=created or "",
                last_updated_at=last or "",
                turns=turns,
                ttl=-1 if expires is None else max(0, round(expires - now)),
                problem=lacking_meta(present),
                updated=score,
            )
        )
    return listed


def older(
    db: Any, before: float, limit: int, tool: str | None, after: tuple[float, str] | None
) -> list[Any]:
    now = time.time()
    where = [LIVE, "updated < :before"]
    if after is not None:
        where.append("(updated, id) > (:score, :id)")
    if tool is not None:
        where.append("tool_name = :tool")
    index = "threads_by_update" if tool is None else "threads_by_tool"
    rows = db.query(
        "SELECT id, tool_name, created_at, last_updated_at, turns, expires, updated "
        f"FROM threads INDEXED BY {index} WHERE {' AND '.join(where)} "
        "ORDER BY updated, id LIMIT :limit",
        {
            "now": now,
            "before": before,
            "score": after[0] if after else None,
            "id": after[1] if after else None,
            "tool": tool,
            "limit": max(0, int(limit)),
        },
    )
    return rows_of(rows, now)


def delete_many(store: Any, ids: Sequence[str], unchanged: Sequence[str] | None) -> list[bool]:
    done: list[bool] = []
    for start in range(0, len(ids), CHUNK):
        now = time.time()
        with store.db.write() as conn:
            for i, tid in enumerate(ids[start : start + CHUNK]):
                if unchanged is not None:
                    found = conn.execute(
                        f"SELECT coalesce(last_updated_at, '') FROM threads WHERE id = :id "
                        f"AND {LIVE}",
                        {"id": tid, "now": now},
                    ).fetchone()
                    if found is not None and found[0] != unchanged[start + i]:
                        done.append(False)
                        continue
                gone = conn.execute(
                    "DELETE FROM threads WHERE id = ? RETURNING expires", (tid,)
                ).fetchall()
                if gone:
                    conn.execute("DELETE FROM turns WHERE thread_id = ?", (tid,))
                done.append(any(e is None or e > now for (e,) in gone))
            store._wrote(conn, now)
    return done


class Upkeep:
    """The local store's survey, index state, reindex, oldest-first listing and
    batched delete (mixed into ``local_bulk.Bulk``)."""

    db: Any

    def thread_count(self) -> int:
        raise NotImplementedError

    def thread_survey(
        self, sample: int | None = 1000, progress: Callable[..., None] | None = None
    ) -> ThreadSurvey:
        from .local_survey import survey

        return survey(self.db, self.thread_count(), sample, progress)

    def thread_index_state(self) -> str:
        """Always complete: the index is the table's own SQL index."""
        return "complete"

    def thread_reindex(self, progress: Callable[..., None] | None = None) -> int:
        """Nothing to rebuild: the index is the table's own SQL index, kept by
        every write in the same transaction. The number of live threads."""
        count = self.thread_count()
        if progress is not None:
            progress(count, total=count)
        return count

    def thread_list_older(
        self,
        before: float,
        limit: int,
        tool: str | None = None,
        after: tuple[float, str] | None = None,
    ) -> list[ThreadRow]:
        return older(self.db, before, limit, tool, after)

    def thread_delete_many(
        self, thread_ids: Sequence[str], unchanged: Sequence[str] | None = None
    ) -> list[bool]:
        return delete_many(self, thread_ids, unchanged)
