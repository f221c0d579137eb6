"""Export and import as JSON Lines: one thread per line, with its remaining TTL.

Export reads the store's batches (``Store.export_threads``: pipelined where
the store can) and writes each line as it is read, so memory stays flat
however many threads there are. Import checks every line first
(``lines.parse``), then writes batches through ``Store.import_threads``, each
thread whole or not at all. A rejected line (not an export line, or refused
by the server) is reported by number with its reason and the import goes on;
the report says what happened to every line. A failure that stops the import
(the server went away) is kept in the report, after what was done: threads
are whole, so the same import run again completes it (what exists is
skipped).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

from ..errors import WriteRefusedError, ZenConfigError
from ..storage.base import Store, ThreadRecord
from . import lines

BATCH = 500  # threads per round trip
BATCH_BYTES = 8 * 1024 * 1024  # and at most about this much line text
DRAIN = 1024 * 1024


def export(store: Store, out: IO[bytes], progress: Callable[[int], None] | None = None) -> int:
    """Write one line per thread to ``out`` (binary); the number written."""
    count = 0
    for batch in store.export_threads(BATCH):
        out.write(b"".join(lines.line(record) for record in batch))
        count += len(batch)
        if progress is not None:
            progress(len(batch))
    return count


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    replaced: int = 0
    lines: int = 0  # lines read (blank ones included)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)
    stopped: ZenConfigError | None = None  # what ended the import early

    @property
    def ok(self) -> bool:
        return not self.rejected and self.stopped is None


def _read_lines(source: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """(number, bytes or None when too long) for each line, the newline removed."""
    number = 0
    limit = lines.MAX_LINE_BYTES
    while True:
        raw = source.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest, never keep it
                raw = source.readline(DRAIN)
            yield number, None
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        yield number, raw.rstrip(b"\r\n")


def import_(
    store: Store,
    source: IO[bytes],
    replace: bool = False,
    name: str = "-",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Load what ``export`` wrote (binary ``source``); existing threads are
    skipped unless ``replace``. Never raises for a line; see ``ImportReport``."""
    report = ImportReport()
    batch: list[tuple[int, ThreadRecord]] = []
    size = 0

    def flush() -> None:
        nonlocal size
        if batch:
            _write(store, batch, replace, report)
            if progress is not None:
                progress(len(batch))
            batch.clear()
            size = 0

    try:
        for number, raw in _read_lines(source):
            report.lines = number
            if raw is None:
                report.rejected.append(
                    (number, f"longer than {lines.MAX_LINE_BYTES // (1024 * 1024)} MiB")
                )
                continue
            if not raw.strip():
                continue
            try:
                record = lines.parse(raw)
            except lines.LineError as e:
                report.rejected.append((number, str(e)))
                continue
            batch.append((number, record))
            size += len(raw)
            if len(batch) >= BATCH or size >= BATCH_BYTES:
                flush()
        flush()
    except ZenConfigError as e:
        report.stopped = e
    except OSError as e:
        report.stopped = ZenConfigError(
            f"cannot read the import file: {e.strerror or e}", where=f"{name}:{report.lines}"
        )
    return report


def _write(
    store: Store, batch: list[tuple[int, ThreadRecord]], replace: bool, report: ImportReport
) -> None:
    if store.kind == "local":  # SQLite keeps text: bytes that are not UTF-8 stay out
        kept = []
        for number, record in batch:
            why = lines.raw_bytes(record)
            if why is None:
                kept.append((number, record))
            else:
                report.rejected.append((number, f"{why}; the local store keeps text only"))
        batch = kept
    records = [record for _, record in batch]
    try:
        outcomes = store.import_threads(records, replace)
    except WriteRefusedError as e:  # the whole batch was refused, nothing of it written
        outcomes = ["refused"] * len(records)
        reason = e.message
    else:
        reason = "the store refused the write (out of memory); nothing of the thread was written"
    for (number, _), outcome in zip(batch, outcomes, strict=True):
        if outcome == "imported":
            report.imported += 1
        elif outcome == "replaced":
            report.replaced += 1
        elif outcome == "skipped":
            report.skipped += 1
        else:
            report.rejected.append((number, reason))
