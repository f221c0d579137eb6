"""The in-memory store: per process, thread-safe, TTLs honoured on access.

No background thread (a CLI process must be free to exit): expired keys are
dropped when touched, and swept every few hundred writes. Every thread
operation holds the store's lock, so it is one atomic step; the thread index
is a dict of last-update times, sorted when listed (a memory store is small).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence

from .. import defaults
from .base import (
    THREAD_FULL,
    THREAD_MISSING,
    After,
    key_ttl,
    meta_key,
    turns_key,
    whole_document,
)
from .memory_bulk import MemoryBulk

TYPE_CHECKING = False  # typing and dataclasses cost the memory path (zenconfig.values)
if TYPE_CHECKING:
    from typing import Any

    from .records import MergeResult

SWEEP_EVERY = 256


class MemoryStore(MemoryBulk):
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
        from .keyglob import glob

        matches = glob(match).match
        return iter([k for k in keys if matches(k)])

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
        self,
        thread_id: str,
        meta: dict[str, str],
        turns: Sequence[str],
        ttl: int,
        max_turns: int,
        after: After | None = None,
    ) -> MergeResult | None:
        with self._lock:
            stored_meta = self._live(meta_key(thread_id))
            created = stored_meta is None
            stored = list(self._live(turns_key(thread_id)) or [])
            whole = whole_document(None if created else stored, turns, after)
            if whole is None:
                return None
            seen = Counter(stored)
            new: list[str] = []
            refused = 0
            for turn in whole:
                if seen[turn] > 0:
                    seen[turn] -= 1
                elif len(stored) + len(new) < max_turns:
                    new.append(turn)
                else:
                    refused += 1
            from .records import MergeResult

            if refused:  # a write that does not fit is refused whole (nothing changes)
                return MergeResult(False, 0, len(new) + refused, len(stored))
            merged = {"thread_id": thread_id} if created else dict(stored_meta)
            merged.update(meta)
            self._put(meta_key(thread_id), merged, _ttl(ttl))
            if stored or new:
                self._put(turns_key(thread_id), stored + new, _ttl(ttl))
            self._touch(thread_id)
            return MergeResult(created, len(new), 0, len(stored) + len(new))

    def thread_read(self, thread_id: str) -> tuple[dict[str, str] | None, list[str]]:
        with self._lock:
            meta = self._live(meta_key(thread_id))
            turns = self._live(turns_key(thread_id)) or []
            return (dict(meta) if meta is not None else None), list(turns)

    def thread_delete(self, thread_id: str) -> bool:
        with self._lock:
            self._index.pop(thread_id, None)
            return self.delete(meta_key(thread_id), turns_key(thread_id)) > 0


def _ttl(ttl: int | None) -> int | None:
    """A thread operation's ttl: <= 0 (or None) is no expiry."""
    return int(ttl) if ttl is not None and int(ttl) > 0 else None
