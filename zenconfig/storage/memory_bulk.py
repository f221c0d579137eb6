"""The memory store's listing and moving of many threads (mixed into ``MemoryStore``).

The index is a dict of last-update times, sorted when listed (a memory store
is small); every method holds the store's lock, so each is one atomic step.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence

from .base import lacking_meta, meta_key, thread_id_of, turns_key

TYPE_CHECKING = False  # typing and dataclasses cost the memory path (zenconfig.values)
if TYPE_CHECKING:
    from typing import Any

    from .records import ThreadRecord, ThreadRow, ThreadSurvey


class MemoryBulk:
    _lock: threading.RLock
    _index: dict[str, float]
    _data: dict[str, tuple[Any, float | None]]

    if TYPE_CHECKING:  # provided by MemoryStore

        def _live(self, key: str) -> Any: ...
        def _put(self, key: str, value: Any, ttl: int | None) -> None: ...
        def _touch(self, thread_id: str, score: float | None = None) -> None: ...
        def ttl(self, key: str) -> int: ...
        def scan(self, match: str = "*") -> Iterator[str]: ...
        def thread_read(self, thread_id: str) -> tuple[dict[str, str] | None, list[str]]: ...
        def thread_delete(self, thread_id: str) -> bool: ...

    def _indexed(self) -> list[tuple[float, str]]:
        """(score, id) of live threads, newest first; expired entries dropped."""
        for tid in [t for t in self._index if self._live(meta_key(t)) is None]:
            del self._index[tid]
        return sorted(((s, t) for t, s in self._index.items()), reverse=True)

    def _row(self, tid: str, score: float) -> ThreadRow | None:
        """A listing row (caller holds the lock, or reads one thread); None when gone."""
        from .records import ThreadRow

        with self._lock:
            stored = self._live(meta_key(tid))
            if stored is None:
                return None
            meta = stored if isinstance(stored, dict) else {}
            problem = lacking_meta(meta)
            return ThreadRow(
                thread_id=tid,
                tool_name=meta.get("tool_name", ""),
                created_at=meta.get("created_at", ""),
                last_updated_at=meta.get("last_updated_at", ""),
                turns=len(self._live(turns_key(tid)) or []),
                ttl=self.ttl(meta_key(tid)),
                problem=problem if stored is meta else "unreadable meta: not a hash",
                updated=score,
            )

    def thread_list(
        self, limit: int = 50, since: float | None = None, tool: str | None = None
    ) -> list[ThreadRow]:
        rows: list[ThreadRow] = []
        with self._lock:
            for score, tid in self._indexed():
                if len(rows) >= limit or (since is not None and score < since):
                    break
                row = self._row(tid, score)
                if row is not None and (tool is None or row.tool_name == tool):
                    rows.append(row)
        return rows

    def thread_count(self) -> int:
        with self._lock:
            return len(self._indexed())

    def thread_survey(
        self, sample: int | None = 1000, progress: Callable[..., None] | None = None
    ) -> ThreadSurvey:
        import random

        from .records import ThreadSurvey

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

    def thread_reindex(self, progress: Callable[..., None] | None = None) -> int:
        with self._lock:
            for key in list(self.scan("thread:*:meta")):
                tid = thread_id_of(key)
                if tid is not None and tid not in self._index:
                    meta = self._live(key)  # text under a meta key is listed, as unreadable
                    stamp = meta.get("last_updated_at") if isinstance(meta, dict) else None
                    self._touch(tid, _epoch(stamp))
            count = len(self._indexed())
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
        with self._lock:
            entries = sorted((s, t) for s, t in self._indexed() if s < before)
        if after is not None:
            entries = [(s, t) for s, t in entries if (s, t) > after]
        rows = []
        for score, tid in entries:
            row = self._row(tid, score)
            if row is not None and (tool is None or row.tool_name == tool):
                rows.append(row)
                if len(rows) >= limit:
                    break
        return rows

    def thread_delete_many(
        self, thread_ids: Sequence[str], unchanged: Sequence[str] | None = None
    ) -> list[bool]:
        done = []
        with self._lock:
            for i, tid in enumerate(thread_ids):
                meta = self._live(meta_key(tid))
                stamp = meta.get("last_updated_at", "") if isinstance(meta, dict) else ""
                if unchanged is not None and meta is not None and stamp != unchanged[i]:
                    done.append(False)
                    continue
                done.append(self.thread_delete(tid))
        return done

    def export_threads(self, batch: int = 500) -> Iterator[list[ThreadRecord]]:
        from .records import ThreadRecord, seconds_left

        page: list[ThreadRecord] = []
        for key in self.scan("thread:*:meta"):
            tid = thread_id_of(key)
            meta, turns = self.thread_read(tid) if tid is not None else (None, [])
            if tid is None or meta is None:
                continue
            with self._lock:
                held = self._data.get(key)
            expires = held[1] if held is not None else None
            ttl = None if expires is None else seconds_left(expires - time.monotonic())
            page.append(ThreadRecord(tid, meta, turns, ttl))
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


def _epoch(stamp: str | None) -> float | None:
    from datetime import datetime

    try:
        return datetime.fromisoformat(stamp).timestamp() if stamp else None
    except ValueError:
        return None
