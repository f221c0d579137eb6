"""One run of a copy: its report, its verification samples and its saved state."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...errors import ZenConfigError
from .checkpoint import Checkpoint
from .report import CopyReport, Reservoir

Progress = Callable[[int], None]
SAMPLE = 200


def new_run_id() -> str:
    return uuid.uuid4().hex[:16]


@dataclass
class Run:
    """What a copy run carries from step to step, and saves after each one.

    ``state`` is the checkpoint's content; ``copied`` and ``kept`` sample the
    items this run wrote and the existing ones it kept (a resumed run starts
    from the saved samples, so they cover the whole copy)."""

    report: CopyReport
    state: dict[str, Any]
    checkpoint: Checkpoint | None = None  # None: a dry run saves nothing
    progress: Progress | None = None
    batch: int = 2000
    copied: Reservoir = field(default_factory=lambda: Reservoir(SAMPLE))
    kept: Reservoir = field(default_factory=lambda: Reservoir(SAMPLE))

    @property
    def on_conflict(self) -> str:
        return str(self.state["on_conflict"])

    @property
    def replace(self) -> bool:
        return self.on_conflict == "replace"

    def resume(self, on_conflict: str, method: str) -> None:
        """Take the counts and samples of the interrupted run; the options given
        now apply once what it left in flight is finished (``options``)."""
        self.state["then"] = {"on_conflict": on_conflict, "method": method}
        self.report.resumed = True
        self.report.restore(self.state.get("counts") or {})
        self.report.ways.update(self.state.get("ways") or {})
        self.report.notes.extend(self.state.get("notes") or [])
        self.copied = Reservoir.load(self.state.get("sample"), SAMPLE)
        self.kept = Reservoir.load(self.state.get("kept_sample"), SAMPLE)

    def options(self) -> str | None:
        """Switch to the options of the resuming command; the method it asks for,
        when that differs from the interrupted run's (None: keep it)."""
        then = self.state.pop("then", None)
        if not then:
            return None
        if then["on_conflict"] != self.on_conflict:
            self.note(
                f"resumed with --on-conflict {then['on_conflict']} "
                f"(the interrupted run had {self.on_conflict})"
            )
            self.state["on_conflict"] = then["on_conflict"]
        wanted = then["method"]
        return None if wanted in ("auto", self.state["method"]) else str(wanted)

    def save(self, **changes: Any) -> None:
        self.state.update(changes)
        if self.checkpoint is None:
            return
        self.state.update(
            counts=self.report.counts(),
            ways=self.report.ways,
            notes=self.report.notes,
            sample=self.copied.dump(),
            kept_sample=self.kept.dump(),
        )
        self.checkpoint.save(self.state)

    def advance(self, n: int) -> None:
        if self.progress is not None and n:
            self.progress(n)

    def note(self, text: str) -> None:
        if text not in self.report.notes:
            self.report.notes.append(text)

    def conflict(self, count: int, noun: str, example: str) -> ZenConfigError:
        """--on-conflict fail met ``count`` existing items."""
        from ...text import printable

        return ZenConfigError(
            f"{count} {noun} already exist in {self.report.target}, e.g. "
            f"{printable(example, 120)}; nothing more was copied",
            hint="run again with --on-conflict skip (keep them) or replace (overwrite them); "
            "it goes on where this run stopped",
        )


def verdict(
    run: Run, total: int, missing: int, checked: list[tuple[bool, bool]], kept: list[bool]
) -> dict[str, Any]:
    """A copy's verification, whatever moved it: every source name at the target, and each
    sampled copy (``checked``: equal value, TTL close) equal; sampled kept names that
    differ (``kept``: equal or not) are conflicts, not failures."""
    values = sum(same for same, _ in checked)
    ttls = sum(close for _, close in checked)
    run.report.conflicts = {"sampled": len(kept), "differing": kept.count(False)}
    return {
        "ok": missing == 0 and values == ttls == len(checked),
        "source_keys": total,
        "missing_at_target": missing,
        "sampled": len(checked),
        "values_equal": values,
        "ttls_within_5s": ttls,
    }


def ttl_close(a: int, b: int, slack: int) -> bool:
    """Two remaining TTLs (same unit) agree: both none, or within ``slack``."""
    if a < 0 or b < 0:
        return a == b
    return abs(a - b) <= slack
