"""Many threads at once on Redis: delete, list the oldest (purge), reindex.

- Scripts for many threads go in pipelines: one round trip per batch on a
  standalone server; in Cluster, one pipeline per master, each holding the
  scripts of the threads whose slot it serves (``run_scripts``), then one
  index update for the batch on the index slot.
- ``older``: the index's oldest entries (``ZRANGEBYSCORE``) and the rows
  behind them, in pages, continuing after a ``(score, id)`` cursor.
- ``reindex`` walks the thread keys (SCAN on every master) and indexes each
  page in one script (``INDEX_MANY``: a thread already indexed keeps its
  place), then drops the entries of threads that are gone and marks the index
  complete. It keeps a checkpoint under ``index:{threads}:reindex`` after
  each page (expiring after a day), so a run stopped halfway continues there.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..base import INDEX_CHECKPOINT, META_FIELDS, ThreadRow, meta_key, turns_key
from . import index, scripts
from .client import text

if TYPE_CHECKING:
    from .store import RedisStore

BATCH = 500
CHECKPOINT = INDEX_CHECKPOINT
CHECKPOINT_TTL = 86400
PHASES = ("index", "drop")


def _script(store: RedisStore, name: str) -> Any:
    found = store._scripts.get(name)
    if found is None:
        body = getattr(scripts, name)
        found = store._scripts[name] = scripts.runner(store.client, body, store.cluster)
    return found


def run_scripts(
    store: RedisStore, name: str, calls: Sequence[tuple[list[str], list[Any]]]
) -> list[Any]:
    """Each (keys, args) as script ``name``, pipelined; replies (or errors) in order."""
    script = _script(store, name)

    def run() -> list[Any]:
        if not store.cluster:
            pipe = store.client.pipeline(transaction=False)
            for keys, args in calls:
                script(keys=keys, args=args, client=pipe)
            return list(pipe.execute(raise_on_error=False))
        groups: dict[str, list[int]] = {}
        nodes: dict[str, Any] = {}
        for i, (keys, _) in enumerate(calls):
            node = store.client.get_node_from_key(keys[0])
            nodes[node.name] = node
            groups.setdefault(node.name, []).append(i)
        replies: list[Any] = [None] * len(calls)
        for name_, positions in groups.items():
            pipe = store.client.get_redis_connection(nodes[name_]).pipeline(transaction=False)
            for i in positions:
                script(keys=calls[i][0], args=calls[i][1], client=pipe)
            for i, reply in zip(positions, pipe.execute(raise_on_error=False), strict=True):
                replies[i] = reply
        return replies

    return store.call(run, write=True)


def delete_many(
    store: RedisStore, ids: Sequence[str], unchanged: Sequence[str] | None
) -> list[bool]:
    done: list[bool] = []
    for start in range(0, len(ids), BATCH):
        page = list(ids[start : start + BATCH])
        expected = list(unchanged[start : start + BATCH]) if unchanged is not None else None
        calls = [
            (
                store.thread_keys(tid),
                [tid, "0" if expected is None else "1", "" if expected is None else expected[i]],
            )
            for i, tid in enumerate(page)
        ]
        replies = run_scripts(store, "DELETE_IF", calls)
        for reply in replies:
            if isinstance(reply, Exception):
                raise store.error(reply, write=True) from reply
        if store.cluster:  # the batch's index entries, on the index slot
            gone = [tid for tid, reply in zip(page, replies, strict=True) if int(reply) >= 0]
            if gone:
                unindex = functools.partial(
                    _script(store, "UNINDEX_MANY"), keys=store.index_keys(), args=gone
                )
                store.call(unindex, write=True)
        done.extend(int(reply) > 0 for reply in replies)
    return done


def older(
    store: RedisStore,
    before: float,
    limit: int,
    tool: str | None,
    after: tuple[float, str] | None,
) -> list[ThreadRow]:
    """Oldest first, last updated before ``before``, after the cursor ``after``."""
    from .threads import _row

    updated = store.index_keys()[0]
    rows: list[ThreadRow] = []
    low: Any = "-inf" if after is None else after[0]
    offset = 0
    while len(rows) < limit:
        found = store.call(
            functools.partial(
                store.client.zrangebyscore,
                updated,
                low,
                f"({before!r}",
                start=offset,
                num=BATCH,
                withscores=True,
            )
        )
        if not found:
            break
        offset += len(found)
        scored = [(text(member), float(score)) for member, score in found]
        if after is not None:
            scored = [(t, s) for t, s in scored if s > after[0] or (s == after[0] and t > after[1])]
        replies = _rows(store, [tid for tid, _ in scored])
        for i, (tid, score) in enumerate(scored):
            row = _row(tid, score, *replies[3 * i : 3 * i + 3])
            if row is not None and (tool is None or row.tool_name == tool):
                rows.append(row)
                if len(rows) >= limit:
                    break
        if len(found) < BATCH:
            break
    return rows


def _rows(store: RedisStore, ids: list[str]) -> list[Any]:
    def read() -> list[Any]:
        pipe = store.client.pipeline(transaction=False)
        for tid in ids:
            pipe.hmget(store.prefix + meta_key(tid), list(META_FIELDS))
            pipe.llen(store.prefix + turns_key(tid))
            pipe.ttl(store.prefix + meta_key(tid))
        replies: list[Any] = pipe.execute(raise_on_error=False)
        return replies

    return store.call(read) if ids else []


# -- reindex ---------------------------------------------------------------------------


def _checkpoint(store: RedisStore) -> dict[str, Any] | None:
    raw = store.call(lambda: store.client.get(store.prefix + CHECKPOINT))
    try:
        found = json.loads(text(raw)) if raw is not None else None
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _save(store: RedisStore, state: dict[str, Any]) -> None:
    body = json.dumps(state)
    key = store.prefix + CHECKPOINT
    store.call(lambda: store.client.set(key, body, ex=CHECKPOINT_TTL), write=True)


def reindex(store: RedisStore, progress: Callable[..., None] | None) -> int:
    names = [name for name, _ in index.clients(store)]
    state = _checkpoint(store)
    if state is None or state.get("nodes") != names or state.get("phase") not in PHASES:
        state = {"nodes": names, "phase": "index", "at": [0, 0], "rank": 0, "count": 0}
    if state["phase"] == "index":
        at = (int(state["at"][0]), int(state["at"][1]))
        for ids, where in index.scan_pages(store, index.SCAN_COUNT, at):
            state["count"] += _index_page(store, ids or [])
            if progress is not None and ids:
                progress(len(ids))
            state["at"] = list(where)
            _save(store, state)
        state["phase"] = "drop"
    while True:
        page = [
            text(m)
            for m in store.call(
                functools.partial(
                    store.client.zrange,
                    store.index_keys()[0],
                    state["rank"],
                    state["rank"] + BATCH - 1,
                )
            )
        ]
        dropped = _drop_gone(store, page)
        state["rank"] += len(page) - dropped
        _save(store, state)
        if len(page) < BATCH:
            break
    index.mark(store)
    store.call(lambda: store.client.delete(store.prefix + CHECKPOINT), write=True)
    return int(state["count"])


def _index_page(store: RedisStore, ids: list[str]) -> int:
    if not ids:
        return 0

    def read() -> list[Any]:
        pipe = store.client.pipeline(transaction=False)
        for tid in ids:
            pipe.hget(store.prefix + meta_key(tid), "last_updated_at")
            pipe.ttl(store.prefix + meta_key(tid))
        replies: list[Any] = pipe.execute(raise_on_error=False)
        return replies

    replies = store.call(read)
    from .threads import epoch

    args: list[Any] = []
    for i, tid in enumerate(ids):
        stamp, ttl = replies[2 * i], replies[2 * i + 1]
        if isinstance(ttl, Exception) or int(ttl) == -2:
            continue  # gone since the scan
        score = epoch(text(stamp)) if isinstance(stamp, bytes) else None
        args += [tid, "" if score is None else repr(score), max(int(ttl), 0)]
    if args:
        script = _script(store, "INDEX_MANY")
        store.call(lambda: script(keys=store.index_keys(), args=args), write=True)
    return len(args) // 3


def _drop_gone(store: RedisStore, ids: list[str]) -> int:
    """Drop the index entries of threads that are gone; how many were dropped."""
    if not ids:
        return 0
    metas = [store.prefix + meta_key(tid) for tid in ids]
    if not store.cluster:  # checked and dropped in one step
        script = _script(store, "UNINDEX_GONE")
        keys = store.index_keys() + metas
        return int(store.call(lambda: script(keys=keys, args=ids), write=True))

    def exist() -> list[Any]:
        pipe = store.client.pipeline(transaction=False)
        for key in metas:
            pipe.exists(key)
        found: list[Any] = pipe.execute()
        return found

    gone = [tid for tid, hit in zip(ids, store.call(exist), strict=True) if not hit]
    if gone:
        script = _script(store, "UNINDEX_MANY")
        store.call(lambda: script(keys=store.index_keys(), args=gone), write=True)
    return len(gone)
