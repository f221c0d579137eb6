"""cli/upkeep.py: ``delete``, ``purge`` and ``reindex`` called directly on real stores
(memory, local, a redis-server): what each prints, how stored text is escaped and
bounded, the error and exit code for ids not found, and the summary notes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.core import TyperCommand

from tests.servers import Server
from zenconfig import ConversationStore, open_storage
from zenconfig.cli import upkeep
from zenconfig.cli.state import Options, remember
from zenconfig.errors import ExitCode
from zenconfig.storage.base import ThreadRecord, meta_key, turns_key

DAY = 86400
HOSTILE = "t\x1b[2J\u202e"


def ctx(**options: object) -> typer.Context:
    made = typer.Context(TyperCommand("storage"))
    remember(made, Options(**options))  # type: ignore[arg-type]
    return made


def record(tid: str, tool: str, age: float, turns: int = 2) -> ThreadRecord:
    stamp = datetime.fromtimestamp(time.time() - age, UTC).isoformat()
    meta = {"thread_id": tid, "tool_name": tool, "created_at": stamp, "last_updated_at": stamp}
    return ThreadRecord(tid, meta, ['{"role":"user","content":"a"}'] * turns, 30 * DAY)


def ids(store: object) -> set[str]:
    return {r.thread_id for r in store.thread_list(1000)}  # type: ignore[attr-defined]


def test_delete_prints_each_id_bounded_and_names_at_most_ten_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = open_storage(memory=True)
    long_id = "L" * 250
    store.import_threads([record(long_id, "chat", 60), record("keep", "chat", 60)], False)
    missing = [f"gone{i}" for i in range(12)]
    with pytest.raises(typer.Exit) as done:
        upkeep.delete(ctx(memory=True), [long_id, *missing], None, False)
    assert done.value.exit_code == ExitCode.ERROR
    out, err = capsys.readouterr()
    assert out == f"deleted {'L' * 200}…\n"
    named = ", ".join(f"'gone{i}'" for i in range(10))
    assert err == (
        "zen: deleted 1 thread(s) from memory\n"
        f"zen: error: no thread {named} and 2 more in memory (expired or never stored)\n"
        "hint: list them with: zen storage threads\n"
    )
    assert ids(store) == {"keep"}


def test_delete_json_is_ascii_and_exact_and_the_missing_are_escaped_in_the_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = open_storage(memory=True)
    store.import_threads([record("тред-1", "chat", 60), record("keep", "chat", 60)], False)
    with pytest.raises(typer.Exit) as done:
        upkeep.delete(ctx(memory=True), ["тред-1", HOSTILE], None, True)
    assert done.value.exit_code == ExitCode.ERROR
    out, err = capsys.readouterr()
    assert out.isascii() and "\x1b" not in out
    assert json.loads(out) == {"project": "memory", "deleted": ["тред-1"], "missing": [HOSTILE]}
    assert "zen: error: no thread 't\\x1b[2J\\u202e' in memory" in err
    assert "\x1b" not in err and "\u202e" not in err
    assert ids(store) == {"keep"}


def test_delete_of_an_empty_id_is_a_usage_error_and_deletes_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = open_storage(memory=True)
    store.import_threads([record("t1", "chat", 60)], False)
    with pytest.raises(typer.Exit) as done:
        upkeep.delete(ctx(memory=True), ["t1", ""], None, False)
    assert done.value.exit_code == ExitCode.USAGE
    assert capsys.readouterr() == ("", "zen: error: a thread id is empty\n")
    assert ids(store) == {"t1"}


def test_purge_lists_oldest_first_with_tool_turns_and_age_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = open_storage(local=True)
    store.import_threads(
        [
            record("old-untitled", "", 20 * DAY, turns=1),
            record(HOSTILE, "re\x1bview", 10 * DAY + 100, turns=3),
            record("new", "chat", 3600),
        ],
        False,
    )
    upkeep.purge(ctx(local=True), "7d", None, True, None, False)
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "would remove old-untitled  (-, 1 turns, updated 20d ago)",
        "would remove t\\x1b[2J\\u202e  (re\\x1bview, 3 turns, updated 10d ago)",
    ]
    assert err == (
        "zen: would remove 2 thread(s) (4 turns) of local last updated more than 7d ago\n"
    )
    assert ids(store) == {"old-untitled", HOSTILE, "new"}  # a dry run changes nothing

    upkeep.purge(ctx(local=True), "1w", "re\x1bview", False, None, False)
    out, err = capsys.readouterr()
    assert out == "removed t\\x1b[2J\\u202e  (re\\x1bview, 3 turns, updated 10d ago)\n"
    assert err == (
        "zen: removed 1 thread(s) of tool re\\x1bview (3 turns) of local last updated "
        "more than 1w ago\n"
    )
    assert ids(store) == {"old-untitled", "new"}


def test_purge_json_reports_what_it_was_asked_and_the_threads_it_removed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = open_storage(memory=True)
    old = record("old", "chat", 9 * DAY, turns=4)
    store.import_threads([old, record("new", "chat", 60)], False)
    upkeep.purge(ctx(memory=True), "2d 12h", None, False, None, True)
    out, err = capsys.readouterr()
    assert out.isascii()
    assert json.loads(out) == {
        "project": "memory",
        "dry_run": False,
        "older_than": "2d 12h",
        "tool": None,
        "removed": 1,
        "turns": 4,
        "kept": 0,
        "threads": [
            {
                "thread_id": "old",
                "tool_name": "chat",
                "turns": 4,
                "last_updated_at": old.meta["last_updated_at"],
            }
        ],
    }
    assert err == "zen: removed 1 thread(s) (4 turns) of memory last updated more than 2d 12h ago\n"
    assert ids(store) == {"new"}


def test_purge_says_how_many_it_kept_because_they_were_written_meanwhile(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_storage(memory=True)
    store.import_threads([record("a", "chat", 9 * DAY), record("b", "chat", 9 * DAY + 5)], False)
    real = store.thread_delete_many

    def written_first(thread_ids: list[str], unchanged: object = None) -> object:
        ConversationStore(store).add_turn("a", "user", "back again")  # between list and delete
        return real(thread_ids, unchanged)

    monkeypatch.setattr(store, "thread_delete_many", written_first)
    upkeep.purge(ctx(memory=True), "7d", None, False, None, False)
    out, err = capsys.readouterr()
    assert out == "removed b  (chat, 2 turns, updated 9d ago)\n"  # only what it removed
    assert err == (
        "zen: removed 1 thread(s) (2 turns) of memory last updated more than 7d ago; "
        "1 kept: written since they were listed\n"
    )
    assert ids(store) == {"a"}


def test_purge_of_a_bad_duration_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as done:
        upkeep.purge(ctx(memory=True), "\x1b[2J", None, True, None, False)
    assert done.value.exit_code == ExitCode.USAGE
    _, err = capsys.readouterr()
    assert err.startswith("zen: error: --older-than: not a duration: '\\x1b[2J'")


def test_reindex_of_the_named_project_counts_threads_written_without_the_index(
    capsys: pytest.CaptureFixture[str],
    write_config: Callable[..., Path],
    redis_server: Server,
    unique_prefix: str,
) -> None:
    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}}, fallback="error")
    ConversationStore(open_storage("p")).create_thread("chat", thread_id="indexed")
    stamp = datetime.now(UTC).isoformat()
    for tid in ("legacy-1", "legacy-2"):  # the keys alone, as an older writer left them
        meta = ["thread_id", tid, "tool_name", "chat", "created_at", stamp]
        redis_server.cli("HSET", unique_prefix + meta_key(tid), *meta, "last_updated_at", stamp)
        redis_server.cli("RPUSH", unique_prefix + turns_key(tid), '{"role":"user","content":"x"}')
    assert ids(open_storage("p")) == {"indexed"}
    # the command's own --project wins over the root's --memory
    upkeep.reindex(ctx(memory=True), "p")
    out, err = capsys.readouterr()
    assert out == ""
    assert re.fullmatch(
        r"zen: indexed 3 thread\(s\) of p in \d+\.\ds; its index is complete\n", err
    ), err
    store = open_storage("p")
    assert ids(store) == {"indexed", "legacy-1", "legacy-2"}
    assert store.thread_index_state() == "complete"
