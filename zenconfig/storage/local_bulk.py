"""The local store over many rows: ``scan``, ``thread_list``, ``thread_count``,
``export_threads``, ``import_threads``; and the thread row's meta columns.

``thread_list`` walks the ``updated`` index newest first (``INDEXED BY``, so
the planner cannot choose a full scan) and stops after ``limit`` live rows:
its cost is O(limit) plus the expired rows not yet purged, whatever the
database holds. ``export_threads`` reads a batch per snapshot (no
transaction is held between batches, so writers never wait on a slow
consumer); ``import_threads`` writes ``IMPORT_CHUNK`` records per transaction,
each record whole or not at all. ``scan`` reads keys in pages of ``PAGE`` by key order, one
snapshot per page, and matches Redis glob patterns (``*``, ``?``, ``[a-z]``,
``[^a]``, ``\\`` escapes).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

from .base import ThreadRecord, ThreadRow
from .keyglob import glob, literal_prefix
from .local_schema import LIVE, META_COLUMNS
from .local_upkeep import Upkeep, rows_of
from .records import seconds_left

PAGE = 1000
IMPORT_CHUNK = 200
THREAD_LEFT, META_RIGHT, TURNS_RIGHT = "thread:{", "}:meta", "}:turns"


def split_meta(meta: dict[str, str]) -> tuple[Any, ...]:
    """(tool_name, created_at, last_updated_at, extra JSON) of a meta dict."""
    extra = {k: v for k, v in meta.items() if k not in META_COLUMNS}
    text = json.dumps(extra, ensure_ascii=False, separators=(",", ":")) if extra else "{}"
    return meta.get("tool_name"), meta.get("created_at"), meta.get("last_updated_at"), text


def join_meta(tool: str | None, created: str | None, updated: str | None, extra: str) -> dict:
    meta: dict[str, str] = json.loads(extra) if extra != "{}" else {}
    for name, value in zip(META_COLUMNS, (tool, created, updated), strict=True):
        if value is not None:
            meta[name] = value
    return meta


def _stamp(meta: dict[str, str], now: float) -> float:
    """When a thread was last updated, for the index of an imported thread."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(meta["last_updated_at"]).timestamp()
    except (KeyError, TypeError, ValueError, OverflowError):
        return now


def thread_key(key: str) -> tuple[str, str] | None:
    """(thread id, "meta" or "turns") for a key of the thread layout, else None."""
    if key.startswith(THREAD_LEFT):
        if key.endswith(META_RIGHT):
            return key[len(THREAD_LEFT) : -len(META_RIGHT)], "meta"
        if key.endswith(TURNS_RIGHT):
            return key[len(THREAD_LEFT) : -len(TURNS_RIGHT)], "turns"
    return None


class Bulk(Upkeep):
    db: Any

    def _wrote(self, conn: Any, now: float) -> None: ...

    def scan(self, match: str = "*") -> Iterator[str]:
        regex, lead = glob(match), literal_prefix(match)
        yield from self._keys(regex, lead)
        if THREAD_LEFT.startswith(lead) or lead.startswith(THREAD_LEFT):
            # an id starts with the literal part up to its "}" (the pattern may go on)
            yield from self._thread_keys(regex, lead[len(THREAD_LEFT) :].split("}", 1)[0])

    def _keys(self, regex: re.Pattern[str], lead: str) -> Iterator[str]:
        after, first = lead, True
        while True:
            rows = self.db.query(
                f"SELECT key FROM kv WHERE key {'>=' if first else '>'} :after AND {LIVE} "
                "ORDER BY key LIMIT :n",
                {"after": after, "now": time.time(), "n": PAGE},
            )
            first = False
            for (key,) in rows:
                if not key.startswith(lead):
                    return
                if regex.match(key):
                    yield key
            if len(rows) < PAGE:
                return
            after = rows[-1][0]

    def _thread_keys(self, regex: re.Pattern[str], lead: str) -> Iterator[str]:
        after, first = lead, True
        while True:
            rows = self.db.query(
                f"SELECT id, turns FROM threads WHERE id {'>=' if first else '>'} :after "
                f"AND {LIVE} ORDER BY id LIMIT :n",
                {"after": after, "now": time.time(), "n": PAGE},
            )
            first = False
            for thread_id, turns in rows:
                if not thread_id.startswith(lead):
                    return
                for key in (
                    THREAD_LEFT + thread_id + META_RIGHT,
                    THREAD_LEFT + thread_id + TURNS_RIGHT if turns else None,
                ):
                    if key is not None and regex.match(key):
                        yield key
            if len(rows) < PAGE:
                return
            after = rows[-1][0]

    def thread_list(
        self, limit: int = 50, since: float | None = None, tool: str | None = None
    ) -> list[ThreadRow]:
        now = time.time()
        index = "threads_by_update" if tool is None else "threads_by_tool"
        where = [LIVE]
        if since is not None:
            where.append("updated >= :since")
        if tool is not None:
            where.append("tool_name = :tool")
        rows = self.db.query(
            "SELECT id, tool_name, created_at, last_updated_at, turns, expires, updated "
            f"FROM threads INDEXED BY {index} WHERE {' AND '.join(where)} "
            "ORDER BY updated DESC LIMIT :limit",
            {"now": now, "since": since, "tool": tool, "limit": max(0, int(limit))},
        )
        return rows_of(rows, now)

    def thread_count(self) -> int:
        """Live threads: the row count less the expired rows (an index range)."""
        rows = self.db.query(
            "SELECT (SELECT count(*) FROM threads) - (SELECT count(*) FROM threads "
            "INDEXED BY threads_by_expiry WHERE expires <= ?)",
            (time.time(),),
        )
        count: int = rows[0][0]
        return count

    def export_threads(self, batch: int = 500) -> Iterator[list[ThreadRecord]]:
        """Every live thread by id, one snapshot per batch (no transaction held
        between batches, so writers are never kept waiting)."""
        after = ""
        while True:
            now = time.time()
            with self.db.read() as conn:
                rows = conn.execute(
                    "SELECT id, tool_name, created_at, last_updated_at, extra, expires "
                    f"FROM threads WHERE id > :after AND {LIVE} ORDER BY id LIMIT :n",
                    {"after": after, "now": now, "n": max(1, int(batch))},
                ).fetchall()
                if not rows:
                    return
                turns: dict[str, list[str]] = {row[0]: [] for row in rows}
                for thread_id, body in conn.execute(
                    "SELECT thread_id, body FROM turns WHERE thread_id BETWEEN ? AND ? "
                    "ORDER BY thread_id, seq",
                    (rows[0][0], rows[-1][0]),
                ):
                    if thread_id in turns:
                        turns[thread_id].append(body)
            after = rows[-1][0]
            yield [
                ThreadRecord(
                    thread_id=tid,
                    meta=join_meta(tool, created, updated, extra),
                    turns=turns[tid],
                    ttl=None if expires is None else seconds_left(expires - now),
                )
                for tid, tool, created, updated, extra, expires in rows
            ]

    def import_threads(self, records: Sequence[ThreadRecord], replace: bool) -> list[str]:
        outcomes: list[str] = []
        for start in range(0, len(records), IMPORT_CHUNK):
            now = time.time()
            with self.db.write() as conn:
                for record in records[start : start + IMPORT_CHUNK]:
                    outcomes.append(self._import_one(conn, record, replace, now))
                self._wrote(conn, now)
        return outcomes

    @staticmethod
    def _import_one(conn: Any, record: ThreadRecord, replace: bool, now: float) -> str:
        tid = record.thread_id
        found = conn.execute("SELECT expires FROM threads WHERE id = ?", (tid,)).fetchall()
        live = bool(found) and (found[0][0] is None or found[0][0] > now)
        if live and not replace:
            return "skipped"
        if found:
            conn.execute("DELETE FROM threads WHERE id = ?", (tid,))
            conn.execute("DELETE FROM turns WHERE thread_id = ?", (tid,))
        expires = None if record.ttl is None else now + record.ttl
        conn.execute(
            "INSERT INTO threads (id, tool_name, created_at, last_updated_at, extra, turns, "
            "updated, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                tid,
                *split_meta(record.meta or {"thread_id": tid}),
                len(record.turns),
                _stamp(record.meta, now),
                expires,
            ),
        )
        conn.executemany(
            "INSERT INTO turns VALUES (?, ?, ?)",
            [(tid, seq, body) for seq, body in enumerate(record.turns)],
        )
        return "replaced" if live else "imported"
