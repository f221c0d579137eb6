"""Moving stored data: stats, export/import (JSON Lines), copy between projects.

Export streams one thread per line with its remaining TTL, so memory stays
flat however many threads there are. Copy moves every key under one
project's prefix to another's, TTLs kept, in batches with a checkpoint file
after each batch: interrupted (Ctrl-C or SIGKILL), the next run resumes from
the last checkpoint; keys already at the target are skipped, never doubled.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from . import configfile
from .errors import UsageError, ZenConfigError
from .storage.base import Store, meta_key, thread_ids, turns_key

Progress = Callable[[int], None]


# -- stats -------------------------------------------------------------------


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
        from .storage.redis import moving as redis_backend

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


# -- export / import ---------------------------------------------------------


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


# -- copy --------------------------------------------------------------------


@dataclass
class CopyReport:
    source: str
    target: str
    method: str
    scanned: int = 0
    copied: int = 0
    skipped: int = 0
    resumed: bool = False
    dry_run: bool = False
    seconds: float = 0.0
    verified: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _checkpoint_load(path: Path, src: str, dst: str) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return data if (data.get("from"), data.get("to")) == (src, dst) else None


def _checkpoint_save(path: Path, data: dict[str, Any]) -> None:
    # atomic against a kill; a checkpoint lost to a power cut only means a re-scan
    configfile.atomic_write(path, json.dumps(data).encode(), keep_backup=False, durable=False)


def _method(source: Any, target: Any, wanted: str) -> tuple[str, int | None]:
    from .storage.redis import moving as redis_backend

    a, b = redis_backend.server_identity(source), redis_backend.server_identity(target)
    same = a is not None and b is not None and a[:2] == b[:2]
    target_db = b[2] if same and b is not None and a is not None and a[2] != b[2] else None
    if wanted == "auto":
        tls = "ssl" in str(type(target.client.connection_pool.connection_class)).lower()
        wanted = "copy" if same else ("migrate" if a and b and not tls else "dump")
    if wanted == "copy" and not same:
        raise UsageError("--method copy needs both projects on one server")
    return wanted, target_db


def copy(
    source: Any,
    target: Any,
    *,
    checkpoint: Path,
    on_conflict: str = "skip",
    dry_run: bool = False,
    method: str = "auto",
    batch: int = 10000,
    progress: Progress | None = None,
    sample: int = 200,
) -> CopyReport:
    """Copy every key under ``source``'s prefix to ``target``'s prefix (TTLs kept)."""
    from .storage.redis import moving as redis_backend

    if not (hasattr(source, "client") and hasattr(target, "client")):
        raise UsageError("copy works between Redis projects; use export/import for memory")
    if on_conflict not in ("skip", "replace", "fail"):
        raise UsageError("--on-conflict is skip, replace or fail")
    chosen, target_db = _method(source, target, method)
    report = CopyReport(source.name, target.name, chosen, dry_run=dry_run)
    state = None if dry_run else _checkpoint_load(checkpoint, source.name, target.name)
    cursor = 0
    adopt = False
    if state:
        cursor, report.copied, report.skipped = state["cursor"], state["copied"], state["skipped"]
        report.resumed = True
        adopt = bool(state.get("in_flight"))
    replace = on_conflict == "replace"
    started = time.perf_counter()
    first = True
    server_side = chosen in ("copy", "migrate") and not dry_run and on_conflict != "fail"

    def save(at: int, in_flight: bool = False) -> None:
        if not dry_run:
            _checkpoint_save(
                checkpoint,
                {
                    "from": source.name,
                    "to": target.name,
                    "cursor": at,
                    "in_flight": in_flight,
                    "copied": report.copied,
                    "skipped": report.skipped,
                },
            )

    while True:
        if server_side:
            save(cursor, in_flight=True)  # killed before this page ends: redo it
            cursor, scanned, done = redis_backend.copy_page(
                source,
                target,
                cursor,
                batch,
                chosen,
                replace,
                target_db,
                adopt,  # for the whole resumed run: SCAN pages shift as the table grows
            )
            report.scanned += scanned
            report.copied += done
            report.skipped += scanned - done  # taken at the target: skipped, not doubled
        else:
            cursor, keys = redis_backend.scan_page(source, cursor, batch)
            scanned = len(keys)
            _copy_listed(
                source, target, keys, report, chosen, on_conflict, target_db, dry_run, first
            )
        if progress:
            progress(scanned)
        first = False
        save(cursor)
        if cursor == 0:
            break
    report.seconds = time.perf_counter() - started
    if not dry_run:
        report.verified = verify(source, target, sample)
        os.unlink(checkpoint)
    return report


def _copy_listed(
    source: Any,
    target: Any,
    keys: list[str],
    report: CopyReport,
    method: str,
    on_conflict: str,
    target_db: int | None,
    dry_run: bool,
    first: bool,
) -> None:
    """Copy a listed page, checking the target first (dry runs, --on-conflict fail, dump)."""
    from .storage.redis import moving as redis_backend

    pairs = [(k, target.prefix + k[len(source.prefix) :]) for k in keys]
    report.scanned += len(pairs)
    if pairs and (dry_run or on_conflict == "fail"):
        taken = redis_backend.existing(target, [d for _, d in pairs])
        clashes = [d for (_, d), hit in zip(pairs, taken, strict=True) if hit]
        if clashes and on_conflict == "fail" and not (first and report.resumed):
            raise ZenConfigError(
                f"{len(clashes)} key(s) already exist under {target.prefix!r}, "
                f"e.g. {clashes[0]}; nothing more was copied",
                hint="choose --on-conflict skip or replace",
            )
        report.skipped += len(clashes)
        pairs = [p for p, hit in zip(pairs, taken, strict=True) if not hit]
    if dry_run:
        report.copied += len(pairs)
    elif pairs:
        done = _apply(source, target, pairs, method, on_conflict == "replace", target_db)
        report.copied += done
        report.skipped += len(pairs) - done  # taken at the target: skipped, not doubled


def _apply(
    source: Any,
    target: Any,
    pairs: list[tuple[str, str]],
    method: str,
    replace: bool,
    target_db: int | None,
) -> int:
    from .storage.redis import moving as redis_backend

    if method == "copy":  # listed pages (dry runs, --on-conflict fail): pipelined COPY
        return redis_backend.copy_listed(source, pairs, replace, target_db)
    dumped = redis_backend.dump_batch(source, [s for s, _ in pairs])
    names = dict(pairs)
    items = [(names[k], pttl, payload) for k, pttl, payload in dumped if payload is not None]
    return redis_backend.restore_batch(target, items, replace)


def verify(source: Any, target: Any, sample: int = 200, ttl_slack_ms: int = 5000) -> dict[str, Any]:
    """Counts (every source key has its target), sampled values and TTLs."""
    from .storage.redis import moving as redis_backend

    cursor, total, missing = 0, 0, 0
    picked: list[str] = []
    while True:
        cursor, keys = redis_backend.scan_page(source, cursor, 1000)
        targets = [target.prefix + k[len(source.prefix) :] for k in keys]
        found = redis_backend.existing(target, targets)
        total += len(keys)
        missing += found.count(False)
        picked += [k for k, hit in zip(keys, found, strict=True) if hit][
            : max(0, sample - len(picked))
        ]
        if cursor == 0:
            break
    src = redis_backend.dump_batch(source, picked)
    dst = redis_backend.dump_batch(
        target, [target.prefix + k[len(source.prefix) :] for k in picked]
    )
    values = sum(a[2] == b[2] for a, b in zip(src, dst, strict=True))
    ttls = sum(
        (a[1] < 0 and a[1] == b[1]) or (a[1] >= 0 and abs(a[1] - b[1]) <= ttl_slack_ms)
        for a, b in zip(src, dst, strict=True)
    )
    ok = missing == 0 and values == len(picked) and ttls == len(picked)
    return {
        "ok": ok,
        "source_keys": total,
        "missing_at_target": missing,
        "sampled": len(picked),
        "values_equal": values,
        "ttls_within_5s": ttls,
    }
