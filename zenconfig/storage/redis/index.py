"""Whether a Redis project's thread index is complete (docs/architecture.md, "Thread index").

Threads written before the index existed are in no index: a listing would
silently leave them out. The marker key ``index:{threads}:complete`` says
that every thread is indexed. It is set

- by ``thread_reindex`` when it has indexed every thread;
- by the first write that creates a thread in a project whose index was
  empty (a new project), once a probe found no thread outside the index;
- by a listing's probe that found none.

Writes of this store keep the index, so once set the marker stays true. The
probe walks the project's thread keys (SCAN on every master) and checks them
against the index, within a time budget: ``missing`` at the first thread the
index lacks, ``complete`` when the walk ended, ``unknown`` when the budget ran
out first. A store object seals at most once (one pipelined round trip after
its first creating write), so the hot path does not pay for it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ...errors import ZenConfigError
from ..base import INDEX_MARKER, meta_key, thread_id_of
from .client import text

if TYPE_CHECKING:
    from .store import RedisStore

LIST_BUDGET = 0.25  # seconds a listing may spend verifying an unmarked index
SEAL_BUDGET = 0.25  # and the first creating write of a new project
SCAN_COUNT = 1000


def marker(store: RedisStore) -> str:
    return store.prefix + INDEX_MARKER


def nodes(store: RedisStore) -> list[Any]:
    """A plain client per master (Cluster), or the store's own client."""
    if not store.cluster:
        return [store.client]
    client = store.client
    return [client.get_redis_connection(node) for node in client.get_primaries()]


def thread_pages(store: RedisStore, deadline: float | None = None) -> Iterator[list[str] | None]:
    """Thread ids under the prefix, a SCAN page at a time, every master in turn;
    a None page when ``deadline`` (monotonic) passed before the walk ended."""
    pattern = store.glob("thread:*:meta")
    cut = len(store.prefix)
    for client in nodes(store):
        cursor = 0
        while True:
            if deadline is not None and time.monotonic() > deadline:
                yield None
                return
            cursor, keys = store.call(
                functools.partial(client.scan, cursor=cursor, match=pattern, count=SCAN_COUNT)
            )
            ids = [thread_id_of(text(key)[cut:]) for key in keys]
            found = [tid for tid in ids if tid is not None]
            if found:
                yield found
            if int(cursor) == 0:
                break


def _unindexed(store: RedisStore, ids: list[str]) -> list[str]:
    updated = store.index_keys()[0]
    scores = store.call(lambda: store.client.zmscore(updated, ids))
    return [tid for tid, score in zip(ids, scores, strict=True) if score is None]


def _still_unindexed(store: RedisStore, ids: list[str]) -> bool:
    """Checked again a moment later: in Cluster a thread's index update follows its write."""
    time.sleep(0.05)
    lacking = _unindexed(store, ids)
    if not lacking:
        return False

    def exist() -> list[Any]:
        pipe = store.client.pipeline(transaction=False)
        for tid in lacking:
            pipe.exists(store.prefix + meta_key(tid))
        found: list[Any] = pipe.execute()
        return found

    return any(store.call(exist))


def probe(store: RedisStore, budget: float) -> str:
    """``complete``, ``missing`` or ``unknown`` (see the module doc); marks when complete."""
    deadline = time.monotonic() + budget
    for page in thread_pages(store, deadline):
        if page is None:
            return "unknown"
        lacking = _unindexed(store, page)
        if lacking and _still_unindexed(store, lacking):
            return "missing"
    mark(store)
    return "complete"


def mark(store: RedisStore) -> None:
    store.call(lambda: store.client.set(marker(store), "1"), write=True)


def state(store: RedisStore) -> str:
    if store.call(lambda: store.client.exists(marker(store))):
        return "complete"
    return probe(store, LIST_BUDGET)


def after_create(store: RedisStore, created: int) -> None:
    """After a write that created ``created`` threads: mark a new project's index
    complete (once per store object; best effort, the write is done already)."""
    if store.index_checked or created <= 0:
        return
    store.index_checked = True
    try:

        def look() -> list[Any]:
            pipe = store.client.pipeline(transaction=False)
            pipe.exists(marker(store))
            pipe.zcard(store.index_keys()[0])
            found: list[Any] = pipe.execute()
            return found

        marked, count = store.call(look)
        if not marked and int(count) <= created:  # the index was empty before this write
            probe(store, SEAL_BUDGET)
    except ZenConfigError:
        pass
