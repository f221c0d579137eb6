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

import contextlib
import functools
import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ...errors import ZenConfigError
from ..base import INDEX_MARKER, INDEX_PROBE, meta_key, thread_id_of
from .client import text

if TYPE_CHECKING:
    from .store import RedisStore

LIST_BUDGET = 0.25  # seconds a listing may spend verifying an unmarked index
SEAL_BUDGET = 0.25  # and the first creating write of a new project
SCAN_COUNT = 1000  # keys a SCAN step looks at: export, reindex
PROBE_COUNT = 10_000  # the probe's steps: ~1 ms of the server each
PROBE = INDEX_PROBE
PROBE_TTL = 86400


def marker(store: RedisStore) -> str:
    return store.prefix + INDEX_MARKER


def clients(store: RedisStore) -> list[tuple[str, Any]]:
    """(name, plain client) of each master, in a stable order (Cluster), or the store's."""
    if not store.cluster:
        return [("-", store.client)]
    client = store.client
    primaries = sorted(client.get_primaries(), key=lambda node: str(node.name))
    return [(str(node.name), client.get_redis_connection(node)) for node in primaries]


def scan_pages(
    store: RedisStore,
    count: int = SCAN_COUNT,
    at: tuple[int, int] = (0, 0),
    deadline: float | None = None,
) -> Iterator[tuple[list[str] | None, tuple[int, int]]]:
    """(thread ids of a SCAN page, where the walk goes on: (master, cursor)), every
    master in turn from ``at``; a None page when ``deadline`` (monotonic) passed first."""
    pattern = store.glob("thread:*:meta")
    cut = len(store.prefix)
    masters = clients(store)
    node, cursor = at
    first = True
    while node < len(masters):
        if deadline is not None and not first and time.monotonic() > deadline:
            yield None, (node, cursor)  # at least one step, so a walk always moves on
            return
        first = False
        scan = functools.partial(masters[node][1].scan, cursor=cursor, match=pattern, count=count)
        following, keys = store.call(scan)
        ids = [thread_id_of(text(key)[cut:]) for key in keys]
        node, cursor = (node, int(following)) if int(following) else (node + 1, 0)
        yield [tid for tid in ids if tid is not None], (node, cursor)


def thread_pages(store: RedisStore) -> Iterator[list[str]]:
    """Thread ids under the prefix, a SCAN page at a time, every master in turn."""
    for ids, _ in scan_pages(store):
        if ids:
            yield ids


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
    """``complete``, ``missing`` or ``unknown`` (see the module doc); marks when complete.
    A walk cut short by the budget saves where it stopped, and the next probe goes on."""
    names = [name for name, _ in clients(store)]
    saved = _saved(store)
    at = (0, 0)
    if saved is not None and saved.get("nodes") == names:
        at = (int(saved["at"][0]), int(saved["at"][1]))
    deadline = time.monotonic() + budget
    for page, where in scan_pages(store, PROBE_COUNT, at, deadline):
        if page is None:
            body = json.dumps({"nodes": names, "at": where})
            save = functools.partial(store.client.set, store.prefix + PROBE, body, ex=PROBE_TTL)
            _keep(store, save)
            return "unknown"
        lacking = _unindexed(store, page) if page else []
        if lacking and _still_unindexed(store, lacking):
            _keep(store, lambda: store.client.delete(store.prefix + PROBE))
            return "missing"
    _keep(store, lambda: mark(store))
    _keep(store, lambda: store.client.delete(store.prefix + PROBE))
    return "complete"


def _saved(store: RedisStore) -> dict[str, Any] | None:
    raw = store.call(lambda: store.client.get(store.prefix + PROBE))
    try:
        found = json.loads(text(raw)) if raw is not None else None
    except ValueError:
        return None
    return found if isinstance(found, dict) and isinstance(found.get("at"), list) else None


def _keep(store: RedisStore, write: Any) -> None:
    """A write of the probe's own (marker, progress): best effort, as on a read-only replica."""
    with contextlib.suppress(ZenConfigError):
        store.call(write, write=True)


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
