"""zen storage stats: threads, turns, bytes, activity, TTL spread of one store."""

from __future__ import annotations

import json
import random
from typing import Any

from ..storage.base import Store, meta_key, thread_ids, turns_key


def stats(store: Store, sample: int = 1000) -> dict[str, Any]:
    """Threads, turns, bytes, activity, TTL spread. On Redis the bytes are the
    server's MEMORY USAGE of up to ``sample`` threads (a uniform reservoir),
    scaled to all of them; in memory, the size of what was read."""
    server_side = hasattr(store, "client")
    threads = turns = measured = 0
    oldest = newest = None
    ttls: list[int] = []
    sampled: list[str] = []
    for tid in thread_ids(store):
        meta, items = store.thread_read(tid)
        if meta is None:
            continue
        threads += 1
        turns += len(items)
        created, updated = meta.get("created_at", ""), meta.get("last_updated_at", "")
        oldest = created if oldest is None or created < oldest else oldest
        newest = updated if newest is None or updated > newest else newest
        ttls.append(store.ttl(meta_key(tid)))
        if not server_side:
            measured += len(json.dumps(meta)) + sum(len(i) for i in items)
        elif len(sampled) < sample:
            sampled.append(tid)
        elif (slot := random.randrange(threads)) < sample:
            sampled[slot] = tid
    if sampled:
        from ..storage.redis import moving as redis_backend

        keys = [store.prefix + k for t in sampled for k in (meta_key(t), turns_key(t))]
        measured = redis_backend.memory_usage(store, keys) * threads // len(sampled)  # type: ignore[arg-type]
    return {
        "project": store.name,
        "threads": threads,
        "turns": turns,
        "bytes": measured,
        "bytes_sampled": len(sampled) < threads,
        "oldest_activity": oldest,
        "newest_activity": newest,
        "ttl_min": min(ttls) if ttls else None,
        "ttl_max": max(ttls) if ttls else None,
    }
