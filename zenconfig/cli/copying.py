"""How ``zen storage copy`` shows itself: the progress bar and the closing summary."""

from __future__ import annotations

from typing import Any

from .boundary import note


def with_bar(
    ctx: Any, source: str, target: str, options: dict[str, Any], wanted: bool = True
) -> Any:
    """Copy with a progress bar when stderr is a terminal (keys, keys/s, time)."""
    from ..core import data
    from .progress import counter

    with counter(f"copying {source} -> {target}", "keys", wanted) as advance:
        return data.copy(ctx, source, target, progress=advance, **options)


def summary(report: Any, source: str, target: str) -> None:
    """What the copy did and what verification found, on stderr; an error when it failed."""
    from ..errors import ZenConfigError

    verb = "would copy" if report.dry_run else "copied"
    what = f"{report.copied} key(s)"
    if report.method == "store":
        what = f"{report.threads} thread(s) and {report.keys} key(s)"
        if report.dry_run:
            what = f"{report.copied} thread(s) and key(s)"
    rate = report.copied / report.seconds if report.seconds else 0
    kept = "would keep" if report.dry_run else "kept"
    extra = [f"{report.skipped} already at {target} ({kept})"]
    if report.replaced:
        extra.append(f"{report.replaced} replaced")
    if report.vanished:
        extra.append(f"{report.vanished} expired meanwhile")
    if rate:
        extra.append(f"{rate:,.0f}/s")
    by = "through the store contract" if report.method == "store" else f"by {report.method}"
    again = " after resuming" if report.resumed else ""
    note(f"{verb} {what} {source} -> {target} {by} ({', '.join(extra)}){again}")
    for text in report.notes:
        note(text)
    if report.skipped and report.conflicts.get("differing"):
        c = report.conflicts
        note(
            f"of the {report.skipped} kept at {target}, {c['differing']} of {c['sampled']} "
            f"sampled differ from {source}; to overwrite them: zen storage copy "
            f"--from {source} --to {target} --on-conflict replace"
        )
    v = report.verified
    if not v:
        return
    note(
        f"verified: {v['source_keys'] - v['missing_at_target']}/{v['source_keys']} present at "
        f"{target}, {v['values_equal']}/{v['sampled']} sampled values and "
        f"{v['ttls_within_5s']} TTLs match"
    )
    if v["missing_at_target"]:
        raise ZenConfigError(
            f"verification failed: {v['missing_at_target']} of {source}'s keys are missing at "
            "the target (written to the source during the copy?)",
            hint="copy again: it copies what is missing and keeps what is there",
        )
    if not v["ok"]:
        raise ZenConfigError(
            f"verification failed: of {v['sampled']} sampled copies, "
            f"{v['sampled'] - v['values_equal']} differ in value and "
            f"{v['sampled'] - v['ttls_within_5s']} in TTL (the source changed during the copy?)",
            hint=f"copy again with --on-conflict replace: zen storage copy --from {source} "
            f"--to {target} --on-conflict replace",
        )
