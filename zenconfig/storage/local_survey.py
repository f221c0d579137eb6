"""``thread_survey`` on the local store: index walks for the extents, random rows
for the sample, one pass over the table when every thread is asked for.

The newest and oldest live threads are the ends of ``threads_by_update`` (the
walk stops at the first live row); the expiry extents are the ends of
``threads_by_expiry``; a sample draws random rowids (retrying the gaps that
deleted rows leave), so it costs O(sample), whatever the table holds. Bytes
are the length of the stored text: the meta columns, its extra JSON and
every turn.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from .base import ThreadSurvey
from .local_schema import LIVE

SIZE = (
    "coalesce(length(t.tool_name), 0) + coalesce(length(t.created_at), 0) + "
    "coalesce(length(t.last_updated_at), 0) + length(t.extra) + "
    "coalesce((SELECT sum(length(body)) FROM turns WHERE thread_id = t.id), 0)"
)
PAGE = 1000


def _first(db: Any, sql: str, now: float) -> Any:
    rows = db.query(sql, {"now": now})
    return rows[0][0] if rows else None


def survey(
    db: Any, threads: int, sample: int | None, progress: Callable[..., None] | None
) -> ThreadSurvey:
    now = time.time()
    found = ThreadSurvey(threads=threads)
    live = LIVE.replace("expires", "t.expires")
    by_update = f"SELECT updated FROM threads AS t INDEXED BY threads_by_update WHERE {live}"
    found.newest = _first(db, by_update + " ORDER BY updated DESC LIMIT 1", now)
    found.oldest = _first(db, by_update + " ORDER BY updated LIMIT 1", now)
    by_expiry = "SELECT expires FROM threads INDEXED BY threads_by_expiry WHERE expires > :now"
    first = _first(db, by_expiry + " ORDER BY expires LIMIT 1", now)
    last = _first(db, by_expiry + " ORDER BY expires DESC LIMIT 1", now)
    if first is not None:
        found.ttl_min, found.ttl_max = max(0, round(first - now)), max(0, round(last - now))
    expiring = _first(
        db, "SELECT count(*) FROM threads INDEXED BY threads_by_expiry WHERE expires > :now", now
    )
    found.forever = max(threads - int(expiring or 0), 0)
    if sample is None or sample >= threads:
        _every(db, found, now, progress)
    else:
        _sample(db, found, sample, now)
    return found


def _every(db: Any, found: ThreadSurvey, now: float, progress: Callable[..., None] | None) -> None:
    after = -1
    live = LIVE.replace("expires", "t.expires")
    while True:
        rows = db.query(
            f"SELECT t.rowid, t.turns, {SIZE} FROM threads AS t WHERE t.rowid > :after "
            f"AND {live} ORDER BY t.rowid LIMIT {PAGE}",
            {"after": after, "now": now},
        )
        for _, turns, size in rows:
            found.add(turns, size)
        if progress is not None:
            progress(len(rows), total=found.threads)
        if len(rows) < PAGE:
            return
        after = rows[-1][0]


ROUNDS = 20
MAX_DRAW = 10_000  # rowids asked for at once (SQLite allows 32,766 variables)


def _sample(db: Any, found: ThreadSurvey, sample: int, now: float) -> None:
    low, high = db.query("SELECT min(rowid), max(rowid) FROM threads")[0]
    if low is None:
        return
    live = LIVE.replace("expires", "t.expires")
    span = high - low + 1
    tried: set[int] = set()  # rowids drawn so far, live or not: never drawn twice
    taken = 0
    for round_ in range(ROUNDS):  # each round fills the gaps of deleted or expired rows
        wanted = sample - taken
        left = span - len(tried)
        if wanted <= 0 or left <= 0:
            return
        size = min(left, MAX_DRAW, wanted * 2 ** (round_ + 1))  # more each round when sparse
        if left <= 4 * size:  # few rowids left: draw from exactly those
            draw = random.sample([r for r in range(low, high + 1) if r not in tried], size)
        else:
            draw = [r for r in random.sample(range(low, high + 1), size) if r not in tried]
        tried.update(draw)
        rows = db.query(
            f"SELECT t.rowid, t.turns, {SIZE} FROM threads AS t WHERE t.rowid IN "
            f"({','.join('?' * len(draw))}) AND {live.replace(':now', '?')}",
            [*draw, now],
        )
        random.shuffle(rows)  # the query returns them in rowid order
        for _rowid, turns, size_ in rows[:wanted]:
            taken += 1
            found.add(turns, size_)
