"""The in-memory store: per process, thread-safe, TTLs honoured on access.

No background thread (a CLI process must be free to exit): expired keys are
dropped when touched, and swept every few hundred writes. Every thread
operation holds the store's lock, so it is one atomic step; the thread index
is a dict of last-update times, sorted when listed (a memory store is small).
"""

from __future__ import annotations

import fnmatch
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .. import defaults
from .base import (
    THREAD_FULL,
    THREAD_MISSING,
    MergeResult,
    ThreadRecord,
    ThreadRow,
    ThreadSurvey,
    key_ttl,
    lacking_meta,
    meta_key,
    thread_id_of,
    turns_key,
)

SWEEP_EVERY = 256


class MemoryStore:
    kind = "memory"

    def __init__(
        self,
        *,
        name: str = "memory",
        default_ttl: int = defaults.CONVERSATION_TTL_SECONDS,
        max_turns: int = defaults.MAX_TURNS,
        degraded: bool = False,
        reason: str | None = None,
    ) -> None:
        self.name = name
        self.prefix = ""
        self.default_ttl = default_ttl
        self.max_turns = max_turns
        self.degraded = degraded
        self.reason = reason
        self.selection: Any = None
        self._data: dict[str, tuple[Any, float | None]] = {}
        self._lock = threading.RLock()
        self._writes = 0
        self._index: dict[str, float] = {}  # thread id -> last update (epoch seconds)

    # -- internals (caller holds the lock) ----------------------------------

    def _live(self, key: str) -> Any:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= time.monotonic():
            del self._data[key]
            return None
        return value

    def _put(self, key: str, value: Any, ttl: int | None) -> None:
        self._data[key] = (value, None if ttl is None else time.monotonic() + ttl)
        self._writes += 1
        if self._writes % SWEEP_EVERY == 0:
            now = time.monotonic()
            for stale in [k for k, (_, e) in self._data.items() if e is not None and e <= now]:
                del self._data[stale]

    def _expire(self, key: str, ttl: int) -> None:
        value = self._live(key)
        if value is not None:
            self._data[key] = (value, time.monotonic() + ttl)

    # -- key/value -------------------------------------------------------------

    def get(self, key: str) -> str | None:
        with self._lock:
            value = self._live(key)
            return value if isinstance(value, str) else None

    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        expiry = key_ttl(ttl)
        with self._lock:
            self._put(key, value, expiry)

    def set_with_ttl(self, key: str, ttl: int, value: str) -> None:
        self.set(key, value, ttl)

    def setex(self, key: str, ttl: int, value: str) -> None:
        self.set(key, value, ttl)

    def delete(self, *keys: str) -> int:
        with self._lock:
            found = [k for k in keys if self._live(k) is not None]
            for key in found:
                del self._data[key]
            return len(found)

    def exists(self, key: str) -> bool:
        with self._lock:
            return self._live(key) is not None

    def ttl(self, key: str) -> int:
        with self._lock:
            if self._live(key) is None:
                return -2
            expires = self._data[key][1]
            return -1 if expires is None else max(0, round(expires - time.monotonic()))

    def scan(self, match: str = "*") -> Iterator[str]:
        with self._lock:
            keys = [k for k in list(self._data) if self._live(k) is not None]
        return iter([k for k in keys if fnmatch.fnmatchcase(k, match)])

    def ping(self) -> float:
        return 0.0

    def close(self) -> None:
        """Nothing to release; the data lives as long as the process."""

    # -- conversations ---------------------------------------------------------

    def _touch(self, thread_id: str, score: float | None = None) -> None:
        self._index[thread_id] = time.time() if score is None else score

    def thread_create(self, thread_id: str, meta: dict[str, str], ttl: int) -> bool:
        with self._lock:
            if self._live(meta_key(thread_id)) is not None:
                return False
            self._put(meta_key(thread_id), dict(meta or {"thread_id": thread_id}), _ttl(ttl))
            self._touch(thread_id)
            return True

    def thread_append(
        self, thread_id: str, turn: str, updated_at: str, ttl: int, max_turns: int
    ) -> int:
        with self._lock:
            meta = self._live(meta_key(thread_id))
            if meta is None:
                return THREAD_MISSING
            turns = self._live(turns_key(thread_id)) or []
            if len(turns) >= max_turns:
                return THREAD_FULL
            turns = [*turns, turn]
            self._put(turns_key(thread_id), turns, _ttl(ttl))
            self._put(meta_key(thread_id), {**meta, "last_updated_at": updated_at}, _ttl(ttl))
            self._touch(thread_id)
            return len(turns)

    def thread_merge(
        self, thread_id: str, meta: dict[str, str], turns: Sequence[str], ttl: int, max_turns: int
    ) -> MergeResult:
        with self._lock:
            stored_meta = self._live(meta_key(thread_id))
            created = stored_meta is None
            stored = list(self._live(turns_key(thread_id)) or [])
            seen = Counter(stored)
            new: list[str] = []
            refused = 0
            for turn in turns:
                if seen[turn] > 0:
                    seen[turn] -= 1
                elif len(stored) + len(new) < max_turns:
                    new.append(turn)
                else:
                    refused += 1
            merged = {"thread_id": thread_id} if created else dict(stored_meta)
            merged.update(meta)
            self._put(meta_key(thread_id), merged, _ttl(ttl))
            if stored or new:
                self._put(turns_key(thread_id), stored + new, _ttl(ttl))
            self._touch(thread_id)
            return MergeResult(created, len(new), refused, len(stored) + len(new))

    def thread_read(self, thread_id: str) -> tuple[dict[str, str] | None, list[str]]:
        with self._lock:
            meta = self._live(meta_key(thread_id))
            turns = self._live(turns_key(thread_id)) or []
            return (dict(meta) if meta is not None else None), list(turns)

    def thread_delete(self, thread_id: str) -> bool:
        with self._lock:
            self._index.pop(thread_id, None)
            return self.delete(meta_key(thread_id), turns_key(thread_id)) > 0

    # -- listing and moving data ---------------------------------------------------

    def _indexed(self) -> list[tuple[float, str]]:
        """(score, id) of live threads, newest first; expired entries dropped."""
        for tid in [t for t in self._index if self._live(meta_key(t)) is None]:
            del self._index[tid]
        return sorted(((s, t) for t, s in self._index.items()), reverse=True)

    def thread_list(
        self, limit: int = 50, since: float | None = None, tool: str | None = None
    ) -> list[ThreadRow]:
        rows: list[ThreadRow] = []
        with self._lock:
            for score, tid in self._indexed():
                if len(rows) >= limit or (since is not None and score < since):
                    break
                stored = self._live(meta_key(tid))
                meta = stored if isinstance(stored, dict) else {}
                if tool is not None and meta.get("tool_name") != tool:
                    continue
                problem = lacking_meta(meta)
                rows.append(
                    ThreadRow(
                        thread_id=tid,
                        tool_name=meta.get("tool_name", ""),
                        created_at=meta.get("created_at", ""),
                        last_updated_at=meta.get("last_updated_at", ""),
                        turns=len(self._live(turns_key(tid)) or []),
                        ttl=self.ttl(meta_key(tid)),
                        problem=problem if stored is meta else "unreadable meta: not a hash",
                        updated=score,
                    )
                )
        return rows

    def thread_count(self) -> int:
        with self._lock:
            return len(self._indexed())

    def thread_survey(
        self, sample: int | None = 1000, progress: Callable[..., None] | None = None
    ) -> ThreadSurvey:
        import random

        with self._lock:
            indexed = self._indexed()
            survey = ThreadSurvey(threads=len(indexed))
            if indexed:
                survey.newest, survey.oldest = indexed[0][0], indexed[-1][0]
            now = time.monotonic()
            expiries = [self._data[meta_key(t)][1] for _, t in indexed]
            left = [round(e - now) for e in expiries if e is not None]
            survey.forever = len(expiries) - len(left)
            survey.ttl_min, survey.ttl_max = (min(left), max(left)) if left else (None, None)
            ids = [t for _, t in indexed]
            if sample is not None and sample < len(ids):
                ids = random.sample(ids, sample)
            for tid in ids:
                meta = self._live(meta_key(tid))
                turns = self._live(turns_key(tid)) or []
                fields = meta.items() if isinstance(meta, dict) else []
                size = sum(len(k) + len(v) for k, v in fields)
                survey.add(len(turns), size + sum(len(t) for t in turns))
        if progress is not None:
            progress(survey.sampled, total=survey.threads)
        return survey

    def thread_index_state(self) -> str:
        """Always complete: every write of this store keeps the index."""
        return "complete"

    def thread_reindex(self) -> int:
        with self._lock:
            for key in list(self.scan("thread:*:meta")):
                tid = thread_id_of(key)
                if tid is not None and tid not in self._index:
                    self._touch(tid, _epoch(self._live(key).get("last_updated_at")))
            return len(self._indexed())

    def export_threads(self, batch: int = 500) -> Iterator[list[ThreadRecord]]:
        page: list[ThreadRecord] = []
        for key in self.scan("thread:*:meta"):
            tid = thread_id_of(key)
            meta, turns = self.thread_read(tid) if tid is not None else (None, [])
            if tid is None or meta is None:
                continue
            ttl = self.ttl(key)
            page.append(ThreadRecord(tid, meta, turns, ttl if ttl > 0 else None))
            if len(page) >= batch:
                yield page
                page = []
        if page:
            yield page

    def import_threads(self, records: Sequence[ThreadRecord], replace: bool) -> list[str]:
        outcomes = []
        for record in records:
            tid = record.thread_id
            with self._lock:
                existed = self._live(meta_key(tid)) is not None
                if existed and not replace:
                    outcomes.append("skipped")
                    continue
                ttl = record.ttl if record.ttl and record.ttl > 0 else None
                self._data.pop(turns_key(tid), None)
                self._put(meta_key(tid), dict(record.meta or {"thread_id": tid}), ttl)
                if record.turns:
                    self._put(turns_key(tid), list(record.turns), ttl)
                self._touch(tid, _epoch(record.meta.get("last_updated_at")))
                outcomes.append("replaced" if existed else "imported")
        return outcomes


def _ttl(ttl: int | None) -> int | None:
    """A thread operation's ttl: <= 0 (or None) is no expiry."""
    return int(ttl) if ttl is not None and int(ttl) > 0 else None


def _epoch(stamp: str | None) -> float | None:
    from datetime import datetime

    try:
        return datetime.fromisoformat(stamp).timestamp() if stamp else None
    except ValueError:
        return None
