"""Copy between two Redis projects: every key under the prefix, through staging.

The Redis adapter moves the keys (``store.keyspace()`` and its ``mover``);
this module runs the protocol. Per page (one SCAN step of the source):

1. stage: each key is written under the run's staging namespace on the
   target (``<target prefix>zen-copy:<run>:``);
2. the final names already taken are counted, and the checkpoint records the
   page as ``staged`` (keys staged, names taken, where the next page starts);
3. finalize: each staged key is renamed into place (RENAMENX, or RENAME for
   ``--on-conflict replace``); a taken name keeps its value;
4. the checkpoint moves on (phase ``scan``, the next position).

Resuming: in phase ``staged`` the keys still in the staging namespace are
renamed into place and the page counts as recorded; in phase ``scan``
whatever the namespace holds (target, and the source server for MIGRATE) is
removed and the page is done again. Only names in the run's own namespace
are ever deleted or renamed.
"""

from __future__ import annotations

from typing import Any

from ...storage.base import INDEX_EXPIRY, INDEX_UPDATED
from .run import Run, ttl_close


def mover(source: Any, target: Any, run: Run, method: str) -> Any:
    found = source.keyspace().mover(target.keyspace(), run.state["run"], method)
    found.ways, found.notes = run.report.ways, run.report.notes  # counted into the report
    return found


def copy_keys(source: Any, target: Any, run: Run, dry_run: bool) -> None:
    state = run.state
    moving = mover(source, target, run, state["method"])
    run.report.method = state["method"] = moving.method
    if moving.method == "migrate":
        state["source_staging"] = True
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
    index = {moving.target.prefix + name.encode() for name in (INDEX_UPDATED, INDEX_EXPIRY)}
    while state["phase"] == "scan":
        position = state.get("position")
        after, keys = moving.scan(position, run.batch)
        staged = moving.stage(moving.plan(keys))
        taken = moving.taken(staged)
        before = {item.final for item, hit in zip(staged, taken, strict=True) if hit}
        if before and run.on_conflict == "fail":
            moving.discard(staged)
            raise run.conflict(len(before), "key(s)", _text(next(iter(before))))
        if before & index:
            state["reindex"] = True  # the target's thread index is merged after the copy
        run.report.scanned += len(keys)
        run.report.vanished += len(keys) - len(staged)
        run.report.method = state["method"] = moving.method
        page = {"staged": len(staged), "taken": len(before), "next": after}
        run.save(phase="staged", page=page)
        copied, kept, gone = moving.finalize(staged, run.replace)
        run.report.vanished += gone
        for item in copied:
            run.copied.offer((item.src, item.final))
            run.report.replaced += item.final in before
        for item in kept:
            run.kept.offer((item.src, item.final))
        run.report.copied += len(copied)
        run.report.keys += len(copied)
        run.report.skipped += len(kept)
        run.save(phase="scan" if after is not None else "done", position=after, page=None)
        run.advance(len(keys))


def _recover(moving: Any, run: Run) -> None:
    """Finish or undo what the interrupted run left in its staging namespace."""
    state = run.state
    if state["phase"] == "staged":
        for names in moving.leftovers():
            copied, kept, _ = moving.finalize(moving.recovered(names), run.replace)
            for item in copied:
                run.copied.offer((item.src, item.final))
            for item in kept:
                run.kept.offer((item.src, item.final))
        page = state["page"]
        staged, taken = int(page["staged"]), int(page["taken"])
        mine = staged if run.replace else staged - taken
        run.report.copied += mine
        run.report.keys += mine
        run.report.replaced += taken if run.replace else 0
        run.report.skipped += 0 if run.replace else taken
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
    checked = [c for c in moving.compare(run.copied.items) if c[1] != -2]  # -2: gone since
    values = sum(same for same, _, _ in checked)
    ttls = sum(ttl_close(a, b, slack_ms) for _, a, b in checked)
    kept = [c for c in moving.compare(run.kept.items) if c[1] != -2]
    run.report.conflicts = {"sampled": len(kept), "differing": sum(not c[0] for c in kept)}
    return {
        "ok": missing == 0 and values == ttls == len(checked),
        "source_keys": total,
        "missing_at_target": missing,
        "sampled": len(checked),
        "values_equal": values,
        "ttls_within_5s": ttls,
    }


def _text(name: bytes) -> str:
    return name.decode("utf-8", "replace")
