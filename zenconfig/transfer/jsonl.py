"""Export and import as JSON Lines: one thread per line, with its remaining TTL.

Export streams, so memory stays flat however many threads there are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import IO

from ..errors import ZenConfigError
from ..storage.base import Store, meta_key, thread_ids


def export(store: Store, out: IO[str]) -> int:
    """Write one JSON line per thread: meta, raw turns, remaining TTL. Streaming."""
    count = 0
    for tid in thread_ids(store):
        meta, items = store.thread_read(tid)
        if meta is None:
            continue
        ttl = store.ttl(meta_key(tid))
        line = {
            "thread_id": tid,
            "ttl": ttl if ttl > 0 else None,
            "meta": meta,
            "turns": [json.loads(t) for t in items],
        }
        out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    replaced: int = 0


def import_(store: Store, lines: IO[str], replace: bool = False, source: str = "-") -> ImportReport:
    """Load what ``export`` wrote; threads that exist are skipped unless ``replace``."""
    report = ImportReport()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            tid, meta, turns = item["thread_id"], item["meta"], item["turns"]
            ttl = int(item.get("ttl") or store.default_ttl)
            if not isinstance(meta, dict) or not meta.get("tool_name"):
                raise KeyError("meta.tool_name")
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise ZenConfigError(f"not an export line: {e}", where=f"{source}:{number}") from e
        if store.thread_read(tid)[0] is not None:
            if not replace:
                report.skipped += 1
                continue
            store.thread_delete(tid)
            report.replaced += 1
        store.thread_create(tid, {k: str(v) for k, v in meta.items()}, ttl)
        for turn in turns:
            stamp = str(turn.get("timestamp", meta.get("last_updated_at", "")))
            store.thread_append(tid, json.dumps(turn), stamp, ttl, max(len(turns), store.max_turns))
        report.imported += 1
    return report
