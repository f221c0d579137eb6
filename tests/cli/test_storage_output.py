"""cli/storage_output.py: the threads and stats output built from plain rows (tables,
notes, JSON, exit code), with every piece of stored text escaped before it is shown."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from zenconfig.cli import storage_output
from zenconfig.core.threads import Listing
from zenconfig.errors import ExitCode, StorageUnavailableError, ZenConfigError
from zenconfig.storage.records import ThreadRow

STAMP = "2026-01-02T10:00:00+00:00"
HOSTILE = "t\x1b[2J\u202ex"  # a terminal escape and a bidi override


def row(tid: str, **fields: Any) -> ThreadRow:
    values: dict[str, Any] = {
        "tool_name": "chat",
        "created_at": STAMP,
        "last_updated_at": STAMP,
        "turns": 2,
        "ttl": 3600,
    }
    values.update(fields)
    return ThreadRow(tid, **values)


def cells(line: str) -> list[str]:
    return re.split(r" {2,}", line)


def no_raw_control(text: str) -> bool:
    return all(c.isprintable() or c in "\n " for c in text)


def test_safe_json_is_ascii_and_exact() -> None:
    value = {"thread_id": HOSTILE, "tool_name": "тред é 中", "problem": None, "turns": 3}
    text = storage_output.safe_json(value)
    assert text.isascii() and no_raw_control(text)
    assert "\\u001b[2J" in text and "\\u202e" in text and "\\u0442" in text
    assert json.loads(text) == value
    assert text.splitlines()[1].startswith('  "thread_id"')  # indented for reading


def test_a_threads_table_shows_age_tool_and_ttl_and_escapes_stored_text() -> None:
    now = time.time()
    rows = [
        row("recent", updated=now - 7230, turns=3, ttl=5400),
        row("imported", tool_name="", updated=None, ttl=-1),
        row(HOSTILE, tool_name="re\x1bview", updated=now - 3 * 86400 - 100, ttl=0),
        row("x" * 100, updated=now - 30),
    ]
    lines = storage_output.threads_table(rows).split("\n")
    assert cells(lines[0]) == storage_output.THREADS_HEADERS  # no PROBLEM column
    assert cells(lines[1]) == ["recent", "chat", "3", "2h ago", "1h 30m"]
    # no index time: the stored stamp as is; no tool: '-'; no expiry: '-'
    assert cells(lines[2]) == ["imported", "-", "2", STAMP, "-"]
    assert cells(lines[3]) == ["t\\x1b[2J\\u202ex", "re\\x1bview", "2", "3d ago", "0s"]
    assert cells(lines[4])[0] == "x" * 80 + "…"  # thread ids are bounded
    assert no_raw_control("\n".join(lines))


def test_a_problem_column_only_when_a_row_has_a_problem() -> None:
    rows = [row("good", updated=None), row("odd", problem="meta lacks\x1b[31m created_at")]
    lines = storage_output.threads_table(rows).split("\n")
    assert cells(lines[0]) == [*storage_output.THREADS_HEADERS, "PROBLEM"]
    assert cells(lines[1]) == ["good", "chat", "2", STAMP, "1h"]  # a blank problem cell
    assert cells(lines[2])[-1] == "meta lacks\\x1b[31m created_at"


def test_a_listing_as_text_or_json_warns_of_each_malformed_row() -> None:
    rows = [row("good", updated=None), row(HOSTILE, problem="unreadable turns: WRONGTYPE")]
    for as_json in (False, True):
        output = storage_output.threads(Listing("p1", rows, "complete"), as_json, False)
        assert output.err == [
            "zen: warning: thread t\\x1b[2J\\u202ex is malformed: unreadable turns: WRONGTYPE"
        ]
        [data] = output.out
        assert no_raw_control(data)
        if as_json:
            assert data.isascii()
            assert [r["thread_id"] for r in json.loads(data)] == ["good", HOSTILE]
            assert set(json.loads(data)[0]) == {
                "thread_id", "tool_name", "created_at", "last_updated_at", "turns", "ttl",
                "problem", "updated",
            }  # fmt: skip
        else:
            assert data.split("\n")[0].endswith("PROBLEM")


@pytest.mark.parametrize(
    ("index", "message"),
    [
        ("complete", None),
        (
            "missing",
            "zen: warning: p1 holds threads its index lacks (written before the index existed); "
            "they are not listed or counted until: zen storage reindex",
        ),
        (
            "unknown",
            "zen: the thread index of p1 was not verified complete; if threads are missing, "
            "run once: zen storage reindex",
        ),
    ],
)
def test_an_empty_listing_is_a_note_and_the_index_state_is_said(
    index: str, message: str | None
) -> None:
    plain = storage_output.threads(Listing("p1", [], index), False, False)
    filtered = storage_output.threads(Listing("p1", [], index), False, True)
    assert plain.out == [] and filtered.out == []
    assert plain.err == ["zen: no threads in p1", *([message] if message else [])]
    assert filtered.err[0] == "zen: no threads in p1 match"
    as_json = storage_output.threads(Listing("p1", [], index), True, True)
    assert as_json.out == ["[]"] and as_json.err == ([message] if message else [])


def figures(project: str, **fields: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "project": project,
        "threads": 0,
        "turns": 0,
        "turns_error": 0,
        "bytes": 0,
        "bytes_error": 0,
        "bytes_sampled": False,
        "sampled": 0,
        "oldest_activity": None,
        "newest_activity": None,
        "ttl_min": None,
        "ttl_max": None,
        "no_expiry": 0,
        "index": "complete",
    }
    found.update(fields)
    return found


def test_stats_exact_sampled_and_empty_projects() -> None:
    three_days = datetime.fromtimestamp(time.time() - 3 * 86400 - 100, UTC).isoformat()
    results = [
        figures(
            "exact",
            threads=1234,
            turns=5678,
            bytes=1536,
            sampled=1234,
            oldest_activity=three_days,
            newest_activity=datetime.fromtimestamp(time.time() - 9000, UTC).isoformat(),
            ttl_min=60,
            ttl_max=10800,
        ),
        figures(
            "big",
            threads=3_000_000,
            turns=120_000,
            turns_error=2400,
            bytes=3 * 1024**3,
            bytes_error=3 * 1024**3 // 20,
            bytes_sampled=True,
            sampled=1000,
            ttl_min=5,
            ttl_max=86400,
            no_expiry=7,
            index="unknown",
        ),
        figures("empty", bytes=1023),
    ]
    output, code = storage_output.stats(results, False)
    assert code == 0
    lines = output.out[0].split("\n")
    assert cells(lines[0]) == ["PROJECT", "THREADS", "TURNS", "BYTES", "OLDEST", "NEWEST",
                               "TTL MIN", "TTL MAX"]  # fmt: skip
    assert cells(lines[1]) == [
        "exact",
        "1,234",
        "5,678",
        "1.5 KiB",
        "3d ago",
        "2h 30m ago",
        "1m",
        "3h",
    ]
    # a sample: ~figure ±share of the 95% interval; threads that never expire: 'none'
    assert cells(lines[2]) == [
        "big", "3,000,000", "~120,000 ±2.0%", "~3.0 GiB ±5.0%", "-", "-", "5s", "none",
    ]  # fmt: skip
    assert cells(lines[3]) == ["empty", "0", "0", "1023 B", "-", "-", "-", "-"]
    assert output.err == [
        "zen: the thread index of big was not verified complete; if threads are missing, "
        "run once: zen storage reindex",
        "zen: turns and bytes of big are estimated from 1,000 of 3,000,000 threads "
        "(95% interval); for exact figures: --exact",
    ]


def test_stats_name_each_unreachable_project_once_and_exit_with_the_first_code() -> None:
    down = StorageUnavailableError("Redis for project 'down' is unreachable: refused")
    bad = ZenConfigError("Redis refused the credentials of project 'bad': WRONGPASS")
    failed = [
        {"project": "down", "error": str(down), "exit_code": int(down.exit_code)},
        {"project": "bad", "error": str(bad), "exit_code": int(bad.exit_code)},
    ]
    sampled = figures("up", threads=5000, sampled=1000, bytes_sampled=True, index="missing")
    output, code = storage_output.stats([failed[0], sampled, failed[1]], False)
    assert code == ExitCode.STORAGE_UNREACHABLE
    assert [cells(line)[0] for line in output.out[0].split("\n")] == ["PROJECT", "up"]
    assert output.err[0].startswith("zen: warning: up holds threads its index lacks")
    assert output.err[1].startswith("zen: turns and bytes of up are estimated from 1,000 of 5,000")
    assert output.err[2:] == [
        "zen: error: Redis for project 'down' is unreachable: refused",
        "zen: error: Redis refused the credentials of project 'bad': WRONGPASS",
    ]
    output, code = storage_output.stats([failed[1], sampled], True)
    assert code == ExitCode.ERROR
    [data] = output.out
    assert [r["project"] for r in json.loads(data)] == ["up", "bad"]  # the healthy first
    assert not any("estimated" in line for line in output.err)  # JSON carries the figures
    assert output.err[0].startswith("zen: warning: up holds threads its index lacks")
    output, code = storage_output.stats([failed[0]], False)
    assert (output.out, code) == ([], ExitCode.STORAGE_UNREACHABLE)


def test_the_error_of_a_failed_project_is_escaped_like_every_other_error() -> None:
    error = ZenConfigError("Redis error for project 'p': ERR \x1b]0;owned\x07\x1b[2J")
    output, _ = storage_output.stats(
        [{"project": "p", "error": str(error), "exit_code": int(error.exit_code)}], False
    )
    assert output.err == ["zen: error: Redis error for project 'p': ERR \\x1b]0;owned\\x07\\x1b[2J"]
