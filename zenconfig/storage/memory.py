"""The in-memory store: per process, thread-safe, TTLs honoured on access.

No background thread (a CLI process must be free to exit): expired keys are
dropped when touched, and swept every few hundred writes.
"""

from __future__ import annotations

import fnmatch
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from .. import defaults
from .base import (
    THREAD_FULL,
    THREAD_MISSING,
    MergeResult,
    ThreadRecord,
    ThreadRow,
    meta_key,
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

    def set_with_ttl(self, key: str, ttl: int, value: str) -> None:
        with self._lock:
            self._put(key, value, int(ttl))

    def setex(self, key: str, ttl: int, value: str) -> None:
        self.set_with_ttl(key, ttl, value)

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

    # -- conversations -----------------------------------------------------------

    def thread_create(self, thread_id: str, meta: dict[str, str], ttl: int) -> bool:
        with self._lock:
            if self._live(meta_key(thread_id)) is not None:
                return False
            self._put(meta_key(thread_id), dict(meta), ttl)
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
            meta = {**meta, "last_updated_at": updated_at}
            self._put(turns_key(thread_id), turns, ttl)
            self._put(meta_key(thread_id), meta, ttl)
            return len(turns)

    def thread_read(self, thread_id: str) -> tuple[dict[str, str] | None, list[str]]:
        with self._lock:
            meta = self._live(meta_key(thread_id))
            turns = self._live(turns_key(thread_id)) or []
            return (dict(meta) if meta is not None else None), list(turns)

    def thread_delete(self, thread_id: str) -> bool:
        return self.delete(meta_key(thread_id), turns_key(thread_id)) > 0

    # -- not yet implemented (Store v2: merge, index, batches) -------------------

    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        raise NotImplementedError

    def thread_merge(
        self, thread_id: str, meta: dict[str, str], turns: Sequence[str], ttl: int, max_turns: int
    ) -> MergeResult:
        raise NotImplementedError

    def thread_list(
        self, limit: int = 50, since: float | None = None, tool: str | None = None
    ) -> list[ThreadRow]:
        raise NotImplementedError

    def thread_count(self) -> int:
        raise NotImplementedError

    def export_threads(self, batch: int = 500) -> Iterator[list[ThreadRecord]]:
        raise NotImplementedError

    def import_threads(self, records: Sequence[ThreadRecord], replace: bool) -> list[str]:
        raise NotImplementedError
