"""zen storage copy: every key (and thread) of one store into another, resumable.

Which path a pair takes:

- two Redis projects (standalone, Sentinel, Cluster, any mix): their keys
  move as they are, prefix rewritten, TTLs kept, through a staging namespace
  unique to the run (``copying.keys``; the Redis fast path lives in the Redis
  adapter, ``RedisStore.keyspace()``);
- the local store with a Redis project, either way: through the store
  contract, threads whole and then plain keys (``copying.stores``).

A run holds an OS lock on its pair (a second run refuses), saves a checkpoint
after each step (an interrupted run is resumed by running the same command;
``restart`` discards it, removing what it had staged), then verifies: every
source key present at the target, and a random sample of what it copied
equal in value and TTL. Existing keys it kept (``--on-conflict skip``) are
reported as conflicts, not as verification failures. docs/architecture.md,
"Copy protocol".
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .copying import keys, stores
from .copying.checkpoint import Checkpoint, Lock, command
from .copying.report import CopyReport
from .copying.run import Progress, Run, new_run_id

__all__ = ["CopyReport", "copy", "verify"]
METHODS = ("auto", "copy", "migrate", "dump", "store")
CONFLICTS = ("skip", "replace", "fail")


def _fast(source: Any, target: Any) -> bool:
    """Can the pair move raw keys (both stores offer a key space of one kind)?"""
    a, b = getattr(source, "keyspace", None), getattr(target, "keyspace", None)
    return a is not None and b is not None and source.kind == target.kind


def _endpoint(store: Any) -> dict[str, Any]:
    where = getattr(store, "where", None) or str(getattr(store, "path", ""))
    return {"name": store.name, "kind": store.kind, "prefix": store.prefix, "where": where}


def _check(source: Any, target: Any, method: str, on_conflict: str) -> None:
    if on_conflict not in CONFLICTS:
        raise UsageError("--on-conflict is skip, replace or fail")
    if method not in METHODS:
        raise UsageError("--method is auto, copy, migrate, dump or store")
    for store in (source, target):
        if store.kind == "memory":
            raise UsageError(
                "the memory store lives inside one process; copy needs stores that last",
                hint="export it from the process that holds it: zen storage export",
            )
    if source is target or _endpoint(source) == _endpoint(target):
        raise UsageError(f"--from and --to name the same store ({source.name})")
    if not _fast(source, target) and method not in ("auto", "store"):
        raise UsageError(
            f"--method {method} moves keys between Redis projects; the local store is "
            "copied through the store contract",
            hint="leave --method out (auto)",
        )


def _fresh(source: Any, target: Any, method: str, on_conflict: str) -> dict[str, Any]:
    path = "keys" if _fast(source, target) and method != "store" else "store"
    return {
        "run": new_run_id(),
        "path": path,
        "method": method,
        "on_conflict": on_conflict,
        "source": _endpoint(source),
        "target": _endpoint(target),
        "phase": "scan",
        "position": None if path == "keys" else 0,
    }


def _resumable(state: dict[str, Any], fresh: dict[str, Any], method: str) -> None:
    """An interrupted run is resumed only between the same endpoints, on its path."""
    again = command(fresh["source"]["name"], fresh["target"]["name"])
    if (state.get("source"), state.get("target")) != (fresh["source"], fresh["target"]):
        raise UsageError(
            "an interrupted copy of this pair was between other endpoints "
            "(a project's server or prefix changed since)",
            hint=f"start over with: {again} --restart",
        )
    if method != "auto" and state.get("path") != fresh["path"]:
        how = "keys" if state.get("path") == "keys" else "threads through the store contract"
        raise UsageError(
            f"an interrupted copy of this pair moves {how}; --method {method} cannot resume it",
            hint=f"resume it without --method, or start over with: {again} --restart",
        )


def _engine(state: dict[str, Any]) -> Any:
    """The module that runs a state's path: ``keys`` or ``stores``."""
    return keys if state.get("path") == "keys" else stores


def copy(
    source: Any,
    target: Any,
    *,
    checkpoint: Path,
    on_conflict: str = "skip",
    dry_run: bool = False,
    method: str = "auto",
    batch: int = 5000,
    progress: Progress | None = None,
    restart: bool = False,
) -> CopyReport:
    """Copy ``source`` into ``target`` (see the module doc); the report of the run."""
    _check(source, target, method, on_conflict)
    fresh = _fresh(source, target, method, on_conflict)
    report = CopyReport(source.name, target.name, method, dry_run=dry_run)
    if dry_run:
        _engine(fresh).copy(source, target, Run(report, fresh, None, progress, batch), True)
        return report
    saved = Checkpoint(checkpoint, source.name, target.name)
    with Lock(checkpoint.with_suffix(".lock"), source.name, target.name):
        saved.clean()
        state = _restart(source, target, saved, report, batch) if restart else saved.load()
        if state is not None:
            _resumable(state, fresh, method)
        run = Run(report, state or fresh, saved, progress, batch)
        if state is not None:
            run.resume(on_conflict, method)
        engine = _engine(run.state)
        started = time.perf_counter()
        engine.copy(source, target, run, False)
        report.seconds = time.perf_counter() - started
        if run.state.get("reindex"):
            target.thread_reindex()  # the target's thread index now covers what was added
            run.note(f"the thread index of {target.name} was rebuilt to include the copy")
        report.verified = engine.verify(source, target, run)
        saved.remove()
    return report


def _restart(
    source: Any, target: Any, saved: Checkpoint, report: CopyReport, batch: int
) -> dict[str, Any] | None:
    """Discard an interrupted run: remove what it staged, forget its checkpoint."""
    from ..errors import ZenConfigError

    try:
        state = saved.load()
    except ZenConfigError:
        report.notes.append(
            "the old checkpoint was unreadable: keys it staged (names under "
            f"'{target.prefix}zen-copy:') may remain at {target.name}"
        )
        state = None
    if state is not None and state.get("path") == "keys" and _fast(source, target):
        keys.discard(source, target, Run(report, state, None, None, batch))
    saved.remove()
    return None


def verify(source: Any, target: Any) -> dict[str, Any]:
    """Check a finished copy of ``source`` into ``target`` without a run's sample:
    every source key present (values are compared by ``copy`` itself)."""
    state = _fresh(source, target, "auto", "skip")
    run = Run(CopyReport(source.name, target.name, "auto"), state)
    return dict(_engine(state).verify(source, target, run))
