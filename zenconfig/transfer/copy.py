"""Copy every key of one project to another: prefix rewritten, TTLs kept.

In batches with a checkpoint file after each batch: interrupted (Ctrl-C or
SIGKILL), the next run resumes from the last checkpoint; keys already at the
target are skipped, never doubled.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import configfile
from ..errors import UsageError, ZenConfigError

Progress = Callable[[int], None]


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
    from ..storage.redis import moving as redis_backend

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
    from ..storage.redis import moving as redis_backend

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
    from ..storage.redis import moving as redis_backend

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
    from ..storage.redis import moving as redis_backend

    if method == "copy":  # listed pages (dry runs, --on-conflict fail): pipelined COPY
        return redis_backend.copy_listed(source, pairs, replace, target_db)
    dumped = redis_backend.dump_batch(source, [s for s, _ in pairs])
    names = dict(pairs)
    items = [(names[k], pttl, payload) for k, pttl, payload in dumped if payload is not None]
    return redis_backend.restore_batch(target, items, replace)


def verify(source: Any, target: Any, sample: int = 200, ttl_slack_ms: int = 5000) -> dict[str, Any]:
    """Counts (every source key has its target), sampled values and TTLs."""
    from ..storage.redis import moving as redis_backend

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
