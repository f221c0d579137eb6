"""Copy between two Redis projects: every key under the prefix, through staging.

The Redis adapter moves the keys (``store.keyspace()`` and its ``mover``);
this module runs the protocol (docs/architecture.md, "Copy protocol"). The
run is saved before its first write. Per page (one SCAN step of the source,
read a page ahead in a thread: reading writes nothing):

1. stage: each key is written under the run's staging namespace on the
   target (``<target prefix>zen-copy:<run>:``);
2. the checkpoint records the page as ``staged`` (and where the next starts);
3. finalize: each node renames its staged keys into place (RENAMENX, or
   RENAME for ``--on-conflict replace``; a taken name keeps its value) and
   leaves a receipt of what it did, in one script;
4. the checkpoint moves on (phase ``scan``, the next position).

Resuming: in phase ``staged`` the receipts say what the nodes had renamed and
what is still staged is renamed now; in phase ``scan`` whatever the namespace
holds (target, and the source servers for MIGRATE) is removed and the page is
done again. Only names in the run's own namespace are ever deleted or renamed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from typing import Any

from ...storage.base import INDEX_EXPIRY, INDEX_UPDATED
from .run import Run, ttl_close, verdict


def mover(source: Any, target: Any, run: Run, method: str) -> Any:
    found = source.keyspace().mover(target.keyspace(), run.state["run"], method)
    found.ways, found.notes = run.report.ways, run.report.notes  # counted into the report
    return found


def copy(source: Any, target: Any, run: Run, dry_run: bool) -> None:
    state = run.state
    moving = mover(source, target, run, state["method"])
    run.report.method = state["method"] = moving.method
    state["source_staging"] = state.get("source_staging") or moving.method == "migrate"
    if dry_run:
        _dry(moving, run)
        return
    if run.report.resumed:
        _recover(moving, run)
    wanted = run.options()
    if wanted is not None:
        moving = mover(source, target, run, wanted)
        run.report.method = state["method"] = moving.method
        state["source_staging"] = state.get("source_staging") or moving.method == "migrate"
    run.save()  # the run and its staging namespace are known before its first write
    index = _index(moving)
    if state["phase"] == "scan":
        with contextlib.closing(_reading(moving, state.get("position"), run.batch)) as pages:
            for after, keys, items, read in pages:
                _page(moving, run, index, after, keys, items, read)
    moving.done()


def _page(
    moving: Any, run: Run, index: set[bytes], after: Any, keys: list[bytes], items: Any, read: Any
) -> None:
    """Stage a page, note it, rename it into place, note that (the module doc)."""
    state = run.state
    staged = moving.stage(items, read)
    if run.on_conflict == "fail":
        hits = moving.taken(staged)
        taken = [item.final for item, hit in zip(staged, hits, strict=True) if hit]
        if taken:
            moving.discard(staged)
            raise run.conflict(len(taken), "key(s)", _text(taken[0]))
    run.report.scanned += len(keys)
    run.report.vanished += len(keys) - len(staged)
    run.report.method = state["method"] = moving.method
    page = int(state.get("pages", 0)) + 1
    run.save(phase="staged", page={"id": page, "next": after}, pages=page)
    done = moving.finalize(staged, run.replace, page)
    _count(run, done)
    if any(item.final in index for item in done.kept) or done.replaced:
        state["reindex"] = True  # the target's thread index is rebuilt after the copy
    run.save(phase="scan" if after is not None else "done", position=after, page=None)
    run.advance(len(keys))


def _index(moving: Any) -> set[bytes]:
    """The target's thread index: derived data, rebuilt after a copy that merged."""
    return {moving.target.prefix + name.encode() for name in (INDEX_UPDATED, INDEX_EXPIRY)}


def _reading(moving: Any, position: Any, batch: int) -> Generator[tuple[Any, ...], None, None]:
    """Pages of the source from ``position``: (next position, keys, items, what
    staging reads), one page read ahead in a thread while the last one is written.
    Reading writes nothing, so a page read ahead and never written is just lost."""
    from concurrent.futures import ThreadPoolExecutor

    def read(at: Any) -> tuple[Any, ...]:
        after, keys = moving.scan(at, batch)
        items = moving.plan(keys)
        return after, keys, items, moving.read(items)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="zen-copy-read") as ahead:
        coming = ahead.submit(read, position)
        while True:
            page = coming.result()
            if page[0] is not None:
                coming = ahead.submit(read, page[0])
            yield page
            if page[0] is None:
                return


def _count(run: Run, done: Any) -> None:
    """Add a page's outcome (or what receipts say of it) to the report and samples."""
    copied, kept, replaced, gone = done.counted
    run.report.copied += copied + len(done.copied)
    run.report.keys += copied + len(done.copied)
    run.report.skipped += kept + len(done.kept)
    run.report.replaced += replaced + done.replaced
    run.report.vanished += gone + done.gone
    run.copied.extend(done.copied, _pair)
    run.kept.extend(done.kept, _pair)


def _pair(item: Any) -> tuple[bytes, bytes]:
    return item.src, item.final


def _recover(moving: Any, run: Run) -> None:
    """Finish or undo what the interrupted run left in its staging namespace."""
    state = run.state
    if state["phase"] == "staged":
        page = state["page"]
        done = moving.recover(run.replace, int(page["id"]))
        _count(run, done)
        if done.kept or done.replaced or done.counted[1] or done.counted[2]:
            state["reindex"] = True
        after = page["next"]
        run.save(phase="scan" if after is not None else "done", position=after, page=None)
    else:
        for names in moving.leftovers():
            moving.drop(names)
    if state.get("source_staging"):
        for names in moving.leftovers(on_source=True):
            moving.drop(names, on_source=True)


def discard(source: Any, target: Any, run: Run) -> None:
    """Remove an abandoned run's staged keys (``--restart``)."""
    moving = mover(source, target, run, run.state["method"])
    for names in moving.leftovers():
        moving.drop(names)
    if run.state.get("source_staging"):
        for names in moving.leftovers(on_source=True):
            moving.drop(names, on_source=True)


def _dry(moving: Any, run: Run) -> None:
    position: Any = None
    while True:
        position, keys = moving.scan(position, run.batch)
        taken = moving.present(keys)
        hits = sum(taken)
        if hits and run.on_conflict == "fail":
            raise run.conflict(hits, "key(s)", _text(keys[taken.index(True)]))
        run.report.scanned += len(keys)
        run.report.copied += len(keys) if run.replace else len(keys) - hits
        run.report.replaced += hits if run.replace else 0
        run.report.skipped += 0 if run.replace else hits
        run.advance(len(keys))
        if position is None:
            return


def verify(source: Any, target: Any, run: Run, slack_ms: int = 5000) -> dict[str, Any]:
    """Every source key has its name at the target; the sampled keys this run
    copied have equal values and TTLs; the sampled kept keys are compared too
    (reported as conflicts, not failures)."""
    moving = mover(source, target, run, "dump")
    total = missing = 0
    position: Any = None
    while True:
        position, keys = moving.scan(position, run.batch)
        total += len(keys)
        missing += moving.present(keys).count(False)
        if position is None:
            break
    index = _index(moving)  # rebuilt, not copied as it was: never compared
    copied = [pair for pair in run.copied.items if pair[1] not in index]
    checked = [
        (same, ttl_close(a, b, slack_ms))
        for same, a, b in moving.compare(copied)
        if a != -2  # -2: gone since
    ]
    others = [pair for pair in run.kept.items if pair[1] not in index]
    kept = [same for same, a, _ in moving.compare(others) if a != -2]
    return verdict(run, total, missing, checked, kept)


def _text(name: bytes) -> str:
    return name.decode("utf-8", "replace")
