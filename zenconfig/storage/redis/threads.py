"""Many threads at once on Redis: the index listing, export and import (delete,
purge and reindex are in ``upkeep``).

Each costs what its answer needs: a listing reads ``limit`` index entries
and the rows behind them in one pipelined round trip per page; export reads
SCAN pages of thread ids and each page's threads in one pipelined round trip;
import writes each thread with one all-or-nothing script, pipelined (one
round trip per batch; in Cluster, one per thread, since a pipeline of scripts
spans slots).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...errors import WriteRefusedError
from ..base import (
    META_FIELDS,
    ThreadRecord,
    ThreadRow,
    lacking_meta,
    meta_key,
    turns_key,
)
from ..records import seconds_left
from .client import CODEC, raw, text

if TYPE_CHECKING:
    from .store import RedisStore

REQUIRED = ("tool_name", "created_at", "last_updated_at")


def epoch(stamp: str | None) -> float | None:
    """An ISO timestamp as epoch seconds (the index's score), None when unreadable."""
    if not stamp:
        return None
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return parsed.timestamp()


def _row(
    thread_id: str, score: float | None, fields: Any, turns: Any, ttl: Any
) -> ThreadRow | None:
    """A listing row from pipelined replies; None when the thread is gone (stale entry)."""
    if isinstance(fields, Exception):
        why = f"unreadable meta: {fields}"
        return ThreadRow(thread_id, "", "", "", 0, -1, problem=why, updated=score)
    meta = {name: text(v) for name, v in zip(META_FIELDS, fields, strict=True) if v is not None}
    if not meta and ttl == -2:
        return None
    problem = None
    if isinstance(turns, Exception):
        problem, turns = f"unreadable turns: {turns}", 0
    if problem is None:
        problem = lacking_meta(meta)
    return ThreadRow(
        thread_id=thread_id,
        tool_name=meta.get("tool_name", ""),
        created_at=meta.get("created_at", ""),
        last_updated_at=meta.get("last_updated_at", ""),
        turns=int(turns),
        ttl=int(ttl) if not isinstance(ttl, Exception) else -1,
        problem=problem,
        updated=score,
    )


def listing(
    store: RedisStore, limit: int, since: float | None, tool: str | None
) -> list[ThreadRow]:
    """Newest first from the index; stale entries skipped, malformed threads flagged."""
    rows: list[ThreadRow] = []
    if limit <= 0:
        return rows
    updated = store.index_keys()[0]
    low = "-inf" if since is None else since
    offset, page = 0, max(limit, 16)
    while len(rows) < limit:

        def page_ids(at: int = offset) -> list[tuple[str, float]]:
            found = store.client.zrevrangebyscore(
                updated, "+inf", low, start=at, num=page, withscores=True
            )
            return [(text(i), float(score)) for i, score in found]

        scored = store.call(page_ids)
        if not scored:
            break
        ids = [tid for tid, _ in scored]

        def read(ids: list[str] = ids) -> list[Any]:
            pipe = store.client.pipeline(transaction=False)
            for tid in ids:
                pipe.hmget(store.prefix + meta_key(tid), list(META_FIELDS))
                pipe.llen(store.prefix + turns_key(tid))
                pipe.ttl(store.prefix + meta_key(tid))
            replies: list[Any] = pipe.execute(raise_on_error=False)
            return replies

        replies = store.call(read)
        for i, (tid, score) in enumerate(scored):
            row = _row(tid, score, *replies[3 * i : 3 * i + 3])
            if row is not None and (tool is None or row.tool_name == tool):
                rows.append(row)
        if len(ids) < page:
            break
        offset += page
    return rows[:limit]


def thread_pages(store: RedisStore, batch: int) -> Iterator[list[str]]:
    """Thread ids by SCAN (every master in Cluster), ``batch`` at a time."""
    from .index import thread_pages as scanned

    page: list[str] = []
    for found in scanned(store):
        page.extend(found or [])
        while len(page) >= batch:
            yield page[:batch]
            page = page[batch:]
    if page:
        yield page


def _records(store: RedisStore, ids: list[str]) -> list[ThreadRecord]:
    head = raw(store.prefix) + b"thread:{"

    def read() -> list[Any]:
        pipe = store.client.pipeline(transaction=False)
        for tid in ids:
            key = head + raw(tid)  # bytes: nothing for the client to encode
            pipe.hgetall(key + b"}:meta")
            pipe.lrange(key + b"}:turns", 0, -1)
            pipe.pttl(key + b"}:meta")
        replies: list[Any] = pipe.execute()
        return replies

    replies = store.call(read)
    records = []
    codec = CODEC  # replies are bytes: decoded as ``client.text`` does, inline
    for i, tid in enumerate(ids):
        meta, turns, pttl = replies[3 * i : 3 * i + 3]
        if not meta:
            continue  # expired or deleted since the scan
        records.append(
            ThreadRecord(
                thread_id=tid,
                meta={k.decode(*codec): v.decode(*codec) for k, v in meta.items()},
                turns=[t.decode(*codec) for t in turns],
                ttl=seconds_left(pttl / 1000) if pttl > 0 else None,
            )
        )
    return records


def export(store: RedisStore, batch: int) -> Iterator[list[ThreadRecord]]:
    for ids in thread_pages(store, batch):
        records = _records(store, ids)
        if records:
            yield records


def import_(store: RedisStore, records: Sequence[ThreadRecord], replace: bool) -> list[str]:
    """Per record: imported, replaced, skipped, or refused (the server is out of memory)."""
    import redis.exceptions as rex

    def args(r: ThreadRecord) -> list[Any]:
        meta = r.meta or {"thread_id": r.thread_id}
        flat = [item for pair in meta.items() for item in pair]
        score = epoch(r.meta.get("last_updated_at"))
        ttl = r.ttl if r.ttl is not None else 0
        return [r.thread_id, ttl, "" if score is None else score, "1" if replace else "0",
                len(flat), *flat, *r.turns]  # fmt: skip

    def run() -> list[Any]:
        if store.cluster:
            replies = []
            for r in records:
                try:
                    replies.append(store.script("IMPORT", store.thread_keys(r.thread_id), args(r)))
                except rex.ResponseError as e:
                    replies.append(e)
            return replies
        pipe = store.client.pipeline(transaction=False)
        for r in records:
            store.script("IMPORT", store.thread_keys(r.thread_id), args(r), client=pipe)
        replies = pipe.execute(raise_on_error=False)
        return list(replies)

    outcomes: list[str] = []
    replies = store.call(run, write=True)
    for record, reply in zip(records, replies, strict=True):
        if isinstance(reply, Exception):
            error = store.error(reply, write=True)
            if not isinstance(error, WriteRefusedError):
                raise error from reply
            outcomes.append("refused")
            continue
        outcome = text(reply)
        if outcome != "skipped" and store.cluster:
            store.reindex_one(
                record.thread_id, record.ttl or 0, epoch(record.meta.get("last_updated_at"))
            )
        outcomes.append(outcome)
    store._created(outcomes.count("imported"))
    return outcomes
