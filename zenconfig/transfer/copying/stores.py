"""Copy through the store contract: the local store to or from a Redis project.

Threads move whole (``export_threads`` -> ``import_threads``: each thread is
written all or nothing at the target), then the plain keys (``scan``,
``get``, ``ttl`` -> ``set``); the thread layout and the Redis thread index
are not plain keys (the target keeps its own index). The checkpoint counts
the threads and keys done, in the source's own order (the local store
exports by id, Redis by SCAN). Before each batch the names already at the
target are recorded, so a batch done again after a kill tells what it wrote
itself from what was there: a thread is never written twice, and counts stay
exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...errors import StorageUnavailableError, ZenConfigError
from ...storage.base import meta_key, thread_id_of, thread_ids
from .run import Run, ttl_close, verdict

THREADS = 500
KEYS = 200
STAGING = "zen-copy:"  # another copy's staging namespace: never data


def copy(source: Any, target: Any, run: Run, dry_run: bool) -> None:
    run.options()
    run.report.method = run.state["method"] = "store"
    if run.state["phase"] == "scan":
        run.state.update(phase="threads", position=0)
    if run.state["phase"] == "threads":
        _threads(source, target, run, dry_run)
        run.save(phase="keys", position=0, inflight=None)
    if run.state["phase"] == "keys":
        _keys(source, target, run, dry_run)
        run.save(phase="done", position=0, inflight=None)


def exists(store: Any, keys: list[str]) -> list[bool]:
    """Which of ``keys`` a store holds (pipelined where the store can)."""
    keyspace = getattr(store, "keyspace", None)
    if keyspace is not None:
        names = [(store.prefix + k).encode("utf-8", "surrogateescape") for k in keys]
        found: list[bool] = keyspace().exists(names)
        return found
    return [store.exists(k) for k in keys]


def _before(run: Run, names: list[str], taken: list[bool]) -> set[str]:
    """Names that were at the target before this batch (as recorded, when redone)."""
    inflight = run.state.get("inflight")
    if inflight and inflight.get("at") == run.state["position"]:
        return set(inflight["taken"])
    return {n for n, hit in zip(names, taken, strict=True) if hit}


def _threads(source: Any, target: Any, run: Run, dry_run: bool) -> None:
    skip = int(run.state["position"])
    for batch in source.export_threads(THREADS):
        if skip >= len(batch):
            skip -= len(batch)
            continue
        batch, skip = batch[skip:], 0
        ids = [r.thread_id for r in batch]
        before = _before(run, ids, exists(target, [meta_key(t) for t in ids]))
        if before and run.on_conflict == "fail":
            raise run.conflict(len(before), "thread(s) or key(s)", sorted(before)[0])
        run.report.scanned += len(batch)
        if dry_run:
            _count_dry(run, len(batch), len(before))
        else:
            run.save(inflight={"at": run.state["position"], "taken": sorted(before)})
            outcomes = target.import_threads(batch, run.replace)
            refused = 0
            for tid, outcome in zip(ids, outcomes, strict=True):
                if outcome == "refused":
                    refused += 1
                elif outcome == "skipped" and tid in before:
                    run.report.skipped += 1
                    run.kept.offer(("t", tid))
                else:  # imported, replaced, or written by the interrupted run
                    run.report.copied += 1
                    run.report.threads += 1
                    run.report.replaced += outcome == "replaced" and tid in before
                    run.copied.offer(("t", tid))
            if refused:
                raise ZenConfigError(
                    f"{target.name} refused {refused} thread(s) (out of memory?); "
                    "nothing of those was written",
                    hint="free memory at the target, then run the same command to resume",
                )
        run.save(position=run.state["position"] + len(batch), inflight=None)
        run.advance(len(batch))


def plain_keys(store: Any) -> Iterator[str]:
    """The keys of a store that are neither a thread's nor the thread index."""
    for key in store.scan("*"):
        if key.startswith(("index:{threads}", STAGING)):
            continue
        if key.startswith("thread:{") and (thread_id_of(key) or key.endswith("}:turns")):
            continue
        yield key


def _keys(source: Any, target: Any, run: Run, dry_run: bool) -> None:
    skip = int(run.state["position"])
    chunk: list[str] = []
    for key in plain_keys(source):
        if skip:
            skip -= 1
            continue
        chunk.append(key)
        if len(chunk) == KEYS:
            _key_chunk(source, target, run, chunk, dry_run)
            chunk = []
    if chunk:
        _key_chunk(source, target, run, chunk, dry_run)


def _read(store: Any, key: str) -> tuple[str | None, int, bool]:
    """(value, ttl, supported) of a plain key; a value of another type, or a name
    that is not UTF-8 (the local store keeps text), is unsupported."""
    if not _text(key):
        return None, -2, False
    try:
        value = store.get(key)
    except StorageUnavailableError:
        raise
    except ZenConfigError:
        return None, -2, False  # e.g. WRONGTYPE: a hash or list the target cannot hold
    return value, store.ttl(key), True


def _text(key: str) -> bool:
    """A name the local store can keep (UTF-8 text; Redis names may be any bytes)."""
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _key_chunk(source: Any, target: Any, run: Run, keys: list[str], dry_run: bool) -> None:
    named = [key for key in keys if _text(key)]  # the others are never asked about
    before = _before(run, named, exists(target, named))
    if before and run.on_conflict == "fail":
        raise run.conflict(len(before), "thread(s) or key(s)", sorted(before)[0])
    run.report.scanned += len(keys)
    if dry_run:
        run.report.unsupported += len(keys) - len(named)
        _count_dry(run, len(named), len(before))
        run.state["position"] += len(keys)
        return
    run.save(inflight={"at": run.state["position"], "taken": sorted(before)})
    for key in keys:
        if key in before and not run.replace:
            run.report.skipped += 1
            run.kept.offer(("k", key))
            continue
        value, ttl, supported = _read(source, key)
        if not supported:
            run.report.unsupported += 1
            run.note(f"keys that are not text are not copied to {target.name}, e.g. {key!a}")
        elif value is None or ttl in (-2, 0):
            run.report.vanished += 1
        else:
            target.set(key, value, ttl if ttl > 0 else None)
            run.report.copied += 1
            run.report.keys += 1
            run.report.replaced += key in before
            run.copied.offer(("k", key))
    run.save(position=run.state["position"] + len(keys), inflight=None)
    run.advance(len(keys))


def _count_dry(run: Run, n: int, hits: int) -> None:
    run.report.copied += n if run.replace else n - hits
    run.report.replaced += hits if run.replace else 0
    run.report.skipped += 0 if run.replace else hits


def verify(source: Any, target: Any, run: Run, slack: int = 5) -> dict[str, Any]:
    """Every source thread and key is at the target; the sampled ones this run
    wrote are equal (meta, turns, value) with TTLs within ``slack`` seconds."""
    total = missing = 0
    page: list[str] = []
    for name in _names(source):
        page.append(name)
        if len(page) == THREADS:
            total, missing = total + len(page), missing + exists(target, page).count(False)
            page = []
    total, missing = total + len(page), missing + exists(target, page).count(False)
    missing = max(0, missing - run.report.unsupported)  # those are reported on their own
    checked = [c for c in (_compare(source, target, i, slack) for i in run.copied.items) if c]
    kept = [c[0] for c in (_compare(source, target, i, slack) for i in run.kept.items) if c]
    return verdict(run, total, missing, checked, kept)


def _names(store: Any) -> Iterator[str]:
    for tid in thread_ids(store):
        yield meta_key(tid)
    yield from plain_keys(store)


def _compare(
    source: Any, target: Any, item: tuple[Any, ...], slack: int
) -> tuple[bool, bool] | None:
    """(equal, TTLs close) of a sampled thread or key; None when the source lost it."""
    kind, name = item
    key = meta_key(name) if kind == "t" else name
    if kind == "t":
        a, b = source.thread_read(name), target.thread_read(name)
        if a[0] is None:
            return None
    else:
        a, b = source.get(name), target.get(name)
        if a is None:
            return None
    return a == b, ttl_close(source.ttl(key), target.ttl(key), slack)
