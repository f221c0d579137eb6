"""What ``zen storage threads`` and ``stats`` print, as text, with no Typer in sight.

The Typer commands (``cli/threads.py``) and the quick path
(``cli/quick_storage.py``) build their output here, so the two cannot drift.
Everything that comes from a store goes through ``text.printable``; JSON of
stored text is written with every non-ASCII character escaped (exact, and
safe on a terminal).
"""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import datetime
from typing import Any

from ..text import printable
from . import render
from .output import Output, error_lines

THREADS_HEADERS = ["THREAD", "TOOL", "TURNS", "UPDATED", "EXPIRES IN"]
STATS_HEADERS = ["PROJECT", "THREADS", "TURNS", "BYTES", "OLDEST", "NEWEST", "TTL MIN", "TTL MAX"]


def safe_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=True)


def index_note(output: Output, project: str, state: str) -> None:
    """Say when the index does not hold every thread (see Store.thread_index_state)."""
    if state == "missing":
        output.warn(
            f"{project} holds threads its index lacks (written before the index "
            "existed); they are not listed or counted until: zen storage reindex"
        )
    elif state == "unknown":
        output.note(
            f"the thread index of {project} was not verified complete; if threads "
            "are missing, run once: zen storage reindex"
        )


def _ago(seconds: float) -> str:
    return render.duration(int(max(seconds, 0))) + " ago"


def threads_table(rows: list[Any]) -> str:
    now = time.time()
    problems = any(row.problem for row in rows)
    lines = []
    for row in rows:
        if row.updated is not None:
            updated = _ago(now - row.updated)
        else:
            updated = printable(row.last_updated_at, 40) or "-"
        cells = [
            printable(row.thread_id, 80),
            printable(row.tool_name, 40) or "-",
            row.turns,
            updated,
            render.duration(row.ttl) if row.ttl >= 0 else "-",
        ]
        lines.append(cells + ([printable(row.problem or "", 80)] if problems else []))
    return render.table(THREADS_HEADERS + (["PROBLEM"] if problems else []), lines)


def threads(found: Any, as_json: bool, filtered: bool) -> Output:
    """A ``core.threads.Listing``: rows, malformed ones warned of, the index state."""
    output = Output()
    if as_json:
        output.data(safe_json([dataclasses.asdict(row) for row in found.rows]))
    elif found.rows:
        output.data(threads_table(found.rows))
    else:
        output.note(f"no threads in {found.project}" + (" match" if filtered else ""))
    for row in found.rows:
        if row.problem:
            output.warn(
                f"thread {printable(row.thread_id, 80)} is malformed: {printable(row.problem)}"
            )
    index_note(output, found.project, found.index)
    return output


def _about(value: int, error: int, sampled: bool, unit: Any = None) -> str:
    shown = f"{value:,}" if unit is None else unit(value)
    if not sampled:
        return shown
    share = f"{100 * error / value:.1f}%" if value else "0%"
    return f"~{shown} ±{share}"


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


def _since(stamp: str | None) -> str:
    return "-" if not stamp else _ago(time.time() - datetime.fromisoformat(stamp).timestamp())


def stats_table(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        sampled = r["bytes_sampled"]
        ttl_max = "none" if r["no_expiry"] else "-"
        if r["ttl_max"] is not None and not r["no_expiry"]:
            ttl_max = render.duration(r["ttl_max"])
        rows.append(
            [
                r["project"],
                f"{r['threads']:,}",
                _about(r["turns"], r["turns_error"], sampled),
                _about(r["bytes"], r["bytes_error"], sampled, _size),
                _since(r["oldest_activity"]),
                _since(r["newest_activity"]),
                "-" if r["ttl_min"] is None else render.duration(r["ttl_min"]),
                ttl_max,
            ]
        )
    return render.table(STATS_HEADERS, rows)


def stats(results: list[dict[str, Any]], as_json: bool) -> tuple[Output, int]:
    """The figures of each project, the unreachable ones named once; the exit code."""
    output = Output()
    failed = [r for r in results if "error" in r]
    healthy = [r for r in results if "error" not in r]
    if as_json:
        output.json(healthy + failed)
    elif healthy:
        output.data(stats_table(healthy))
    for r in healthy:
        index_note(output, r["project"], r["index"])
        if r["bytes_sampled"] and not as_json:
            output.note(
                f"turns and bytes of {r['project']} are estimated from {r['sampled']:,} of "
                f"{r['threads']:,} threads (95% interval); for exact figures: --exact"
            )
    for r in failed:
        output.err += error_lines(r["error"])
    return output, failed[0]["exit_code"] if failed else 0
