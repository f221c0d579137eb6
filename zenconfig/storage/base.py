"""The store protocol both backends implement, and the key layout.

Keys handed to a store are relative: the store adds its project's prefix.
A thread lives in two keys that share a Redis Cluster hash tag:
``thread:{<id>}:meta`` (a hash) and ``thread:{<id>}:turns`` (a list).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

THREAD_FULL = -2
THREAD_MISSING = -1


def meta_key(thread_id: str) -> str:
    return f"thread:{{{thread_id}}}:meta"


def turns_key(thread_id: str) -> str:
    return f"thread:{{{thread_id}}}:turns"


def thread_id_of(meta: str) -> str | None:
    """The id inside a relative ``thread:{id}:meta`` key."""
    if meta.startswith("thread:{") and meta.endswith("}:meta"):
        return meta[len("thread:{") : -len("}:meta")]
    return None


def thread_ids(store: Store) -> Iterator[str]:
    """The ids of the threads a store holds (from their ``:meta`` keys)."""
    for key in store.scan("thread:*:meta"):
        found = thread_id_of(key)
        if found is not None:
            yield found


@runtime_checkable
class Store(Protocol):
    """What ``open_storage`` returns."""

    name: str  # the project, or "memory"
    prefix: str
    default_ttl: int
    max_turns: int
    degraded: bool
    selection: Any  # settings.Selection: which project and why

    def get(self, key: str) -> str | None: ...
    def set_with_ttl(self, key: str, ttl: int, value: str) -> None: ...
    def setex(self, key: str, ttl: int, value: str) -> None: ...
    def delete(self, *keys: str) -> int: ...
    def exists(self, key: str) -> bool: ...
    def ttl(self, key: str) -> int: ...
    def scan(self, match: str = "*") -> Iterator[str]: ...
    def ping(self) -> float: ...
    def close(self) -> None: ...

    # conversation primitives, each atomic
    def thread_create(self, thread_id: str, meta: dict[str, str], ttl: int) -> bool: ...
    def thread_append(
        self, thread_id: str, turn: str, updated_at: str, ttl: int, max_turns: int
    ) -> int: ...
    def thread_read(self, thread_id: str) -> tuple[dict[str, str] | None, list[str]]: ...
    def thread_delete(self, thread_id: str) -> bool: ...
