"""The local store: the Store contract as SQL over one database (see ``local``).

Each call is one transaction of ``Database``: a write takes the write lock
first (BEGIN IMMEDIATE), so concurrent writers queue rather than fail; a read
is one snapshot. An append checks, counts, appends and refreshes the expiry in
that one transaction, so processes appending to one thread lose nothing and
``max_turns`` holds exactly.

Keys keep the logical layout of the other stores: ``thread:{id}:meta`` and
``thread:{id}:turns`` name a thread's row and its turns (``scan``, ``ttl``,
``exists`` and ``delete`` see them; they hold no text value, so ``get``
returns None and ``set`` refuses them); every other key is a key/value row.

Expired rows are invisible to every read, and removed a few at a time by
writes (``PURGE_EVERY``, ``PURGE_BATCH``) through the expiry indexes.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..errors import ZenConfigError
from ..text import printable
from . import local_bulk
from .base import (
    THREAD_FULL,
    THREAD_MISSING,
    After,
    MergeResult,
    key_ttl,
    whole_document,
)
from .local_bulk import join_meta, split_meta
from .local_schema import LIVE

PURGE_EVERY = 64  # the first write of a process, then one write in this many
PURGE_BATCH = 64  # expired threads (and key/value rows) removed per purge


def _seconds_left(expires: float | None, now: float) -> int:
    return -1 if expires is None else max(0, round(expires - now))


def purge(conn: Any, now: float) -> None:
    """Remove up to ``PURGE_BATCH`` expired threads and key/value rows (index walk)."""
    gone = conn.execute(
        "DELETE FROM threads WHERE id IN (SELECT id FROM threads INDEXED BY threads_by_expiry "
        "WHERE expires <= ? LIMIT ?) RETURNING id",
        (now, PURGE_BATCH),
    ).fetchall()
    if gone:
        conn.executemany("DELETE FROM turns WHERE thread_id = ?", gone)
    conn.execute(
        "DELETE FROM kv WHERE key IN (SELECT key FROM kv INDEXED BY kv_by_expiry "
        "WHERE expires <= ? LIMIT ?)",
        (now, PURGE_BATCH),
    )


class LocalStore(local_bulk.Bulk):
    kind = "local"

    def __init__(self, db: Any, *, name: str = "local", default_ttl: int, max_turns: int) -> None:
        self.db = db
        self.name = name
        self.path = db.path
        self.prefix = ""
        self.default_ttl = default_ttl
        self.max_turns = max_turns
        self.degraded = False
        self.selection: Any = None
        self._writes = 0

    def _wrote(self, conn: Any, now: float) -> None:
        """Called inside each write transaction: the amortised purge."""
        self._writes += 1
        if self._writes % PURGE_EVERY == 1:
            purge(conn, now)

    # -- key/value ---------------------------------------------------------------

    def get(self, key: str) -> str | None:
        if local_bulk.thread_key(key) is not None:
            return None
        rows = self.db.query(f"SELECT value FROM kv WHERE key = :key AND {LIVE}", _at(key=key))
        return rows[0][0] if rows else None

    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        if local_bulk.thread_key(key) is not None:
            raise ZenConfigError(
                f"'{printable(key, 120)}' is a thread's key; threads are written with the "
                "thread operations"
            )
        expiry = key_ttl(ttl)
        now = time.time()
        expires = None if expiry is None else now + expiry
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) ON CONFLICT (key) "
                "DO UPDATE SET value = excluded.value, expires = excluded.expires",
                (key, value, expires),
            )
            self._wrote(conn, now)

    def set_with_ttl(self, key: str, ttl: int, value: str) -> None:
        self.set(key, value, int(ttl))

    def setex(self, key: str, ttl: int, value: str) -> None:
        self.set(key, value, int(ttl))

    def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        now = time.time()
        deleted = 0
        # a thread's turns before its row, so deleting both counts both (as Redis does)
        ordered = sorted(keys, key=lambda k: (local_bulk.thread_key(k) or ("", ""))[1] != "turns")
        with self.db.write() as conn:
            for key in ordered:
                deleted += self._delete_one(conn, key, now)
            self._wrote(conn, now)
        return deleted

    @staticmethod
    def _delete_one(conn: Any, key: str, now: float) -> int:
        found = local_bulk.thread_key(key)
        if found is None:
            gone = conn.execute("DELETE FROM kv WHERE key = ? RETURNING expires", (key,))
            return sum(1 for (expires,) in gone.fetchall() if expires is None or expires > now)
        thread_id, part = found
        if part == "turns":
            live = conn.execute(
                f"UPDATE threads SET turns = 0 WHERE id = :id AND {LIVE} AND turns > 0 "
                "RETURNING id",
                {"id": thread_id, "now": now},
            ).fetchall()
            if live:
                conn.execute("DELETE FROM turns WHERE thread_id = ?", (thread_id,))
            return len(live)
        gone = conn.execute("DELETE FROM threads WHERE id = ? RETURNING expires", (thread_id,))
        rows = gone.fetchall()
        if rows:
            conn.execute("DELETE FROM turns WHERE thread_id = ?", (thread_id,))
        return sum(1 for (expires,) in rows if expires is None or expires > now)

    def exists(self, key: str) -> bool:
        return self.ttl(key) != -2

    def ttl(self, key: str) -> int:
        found = local_bulk.thread_key(key)
        if found is None:
            sql, params = f"SELECT expires FROM kv WHERE key = :key AND {LIVE}", _at(key=key)
        else:
            thread_id, part = found
            turns = " AND turns > 0" if part == "turns" else ""
            sql = f"SELECT expires FROM threads WHERE id = :key AND {LIVE}{turns}"
            params = _at(key=thread_id)
        rows = self.db.query(sql, params)
        return -2 if not rows else _seconds_left(rows[0][0], params["now"])

    def ping(self) -> float:
        started = time.perf_counter()
        self.db.query("SELECT 1")
        return time.perf_counter() - started

    def close(self) -> None:
        """Keep the connection for the rest of the process; see ``local.close_all``."""

    # -- threads -----------------------------------------------------------------

    def thread_create(self, thread_id: str, meta: dict[str, str], ttl: int) -> bool:
        now = time.time()
        row = (thread_id, *split_meta(meta or {"thread_id": thread_id}), now, now + int(ttl))
        with self.db.write() as conn:
            created = conn.execute(
                "INSERT INTO threads (id, tool_name, created_at, last_updated_at, extra, "
                "updated, expires) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
                "SET tool_name = excluded.tool_name, created_at = excluded.created_at, "
                "last_updated_at = excluded.last_updated_at, extra = excluded.extra, "
                "turns = 0, updated = excluded.updated, expires = excluded.expires "
                "WHERE threads.expires <= excluded.updated RETURNING id",
                row,
            ).fetchall()
            if created:  # new, or in place of an expired thread: drop its old turns
                conn.execute("DELETE FROM turns WHERE thread_id = ?", (thread_id,))
            self._wrote(conn, now)
        return bool(created)

    def thread_append(
        self, thread_id: str, turn: str, updated_at: str, ttl: int, max_turns: int
    ) -> int:
        now = time.time()
        with self.db.write() as conn:
            counted = conn.execute(
                "UPDATE threads SET turns = turns + 1, last_updated_at = ?, updated = ?, "
                "expires = ? WHERE id = ? AND (expires IS NULL OR expires > ?) AND turns < ? "
                "RETURNING turns",
                (updated_at, now, now + int(ttl), thread_id, now, int(max_turns)),
            ).fetchall()
            if not counted:
                live = conn.execute(
                    "SELECT 1 FROM threads WHERE id = ? AND (expires IS NULL OR expires > ?)",
                    (thread_id, now),
                ).fetchall()
                return THREAD_FULL if live else THREAD_MISSING
            count: int = counted[0][0]
            conn.execute("INSERT INTO turns VALUES (?, ?, ?)", (thread_id, count - 1, turn))
            self._wrote(conn, now)
        return count

    def thread_merge(
        self,
        thread_id: str,
        meta: dict[str, str],
        turns: Sequence[str],
        ttl: int,
        max_turns: int,
        after: After | None = None,
    ) -> MergeResult | None:
        now = time.time()
        with self.db.write() as conn:
            row = conn.execute(
                f"SELECT tool_name, created_at, last_updated_at, extra FROM threads "
                f"WHERE id = :id AND {LIVE}",
                {"id": thread_id, "now": now},
            ).fetchone()
            if row is None:  # missing, or expired: start afresh
                conn.execute("DELETE FROM threads WHERE id = ?", (thread_id,))
                conn.execute("DELETE FROM turns WHERE thread_id = ?", (thread_id,))
                stored: list[str] = []
                merged = {"thread_id": thread_id, **meta}
            else:
                stored = [
                    body
                    for (body,) in conn.execute(
                        "SELECT body FROM turns WHERE thread_id = ? ORDER BY seq", (thread_id,)
                    )
                ]
                merged = {**join_meta(*row), **meta}
            whole = whole_document(None if row is None else stored, turns, after)
            if whole is None:
                return None
            have = Counter(stored)
            new = []
            for turn in whole:
                if have[turn]:
                    have[turn] -= 1
                else:
                    new.append(turn)
            if len(stored) + len(new) > int(max_turns):  # refused whole: nothing changes
                return MergeResult(False, 0, len(new), len(stored))
            kept = new
            conn.executemany(
                "INSERT INTO turns VALUES (?, ?, ?)",
                [(thread_id, len(stored) + i, body) for i, body in enumerate(kept)],
            )
            total = len(stored) + len(kept)
            conn.execute(
                "INSERT OR REPLACE INTO threads (id, tool_name, created_at, last_updated_at, "
                "extra, turns, updated, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (thread_id, *split_meta(merged), total, now, now + int(ttl)),
            )
            self._wrote(conn, now)
        return MergeResult(row is None, len(kept), 0, total)

    def thread_read(self, thread_id: str) -> tuple[dict[str, str] | None, list[str]]:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT tool_name, created_at, last_updated_at, extra FROM threads "
                "WHERE id = ? AND (expires IS NULL OR expires > ?)",
                (thread_id, time.time()),
            ).fetchone()
            if row is None:
                return None, []
            turns = conn.execute(
                "SELECT body FROM turns WHERE thread_id = ? ORDER BY seq", (thread_id,)
            ).fetchall()
        return join_meta(*row), [body for (body,) in turns]

    def thread_delete(self, thread_id: str) -> bool:
        now = time.time()
        with self.db.write() as conn:
            deleted = self._delete_one(conn, f"thread:{{{thread_id}}}:meta", now)
            self._wrote(conn, now)
        return deleted > 0


def _at(**params: Any) -> dict[str, Any]:
    """Query parameters with ``now`` (for ``LIVE``)."""
    return {**params, "now": time.time()}
