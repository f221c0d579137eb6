"""zenconfig.core.threads: listing, delete, purge and reindex through the use cases on the
local store and a real redis-server; options are checked before any store is opened."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from zenconfig import open_storage
from zenconfig import runtime as factory
from zenconfig.core import Context
from zenconfig.core import threads as core
from zenconfig.errors import ExitCode, UsageError
from zenconfig.storage.base import INDEX_MARKER, ThreadRecord, meta_key, turns_key

DAY = 86400


def record(tid: str, tool: str, age: float) -> ThreadRecord:
    stamp = datetime.fromtimestamp(time.time() - age, UTC).isoformat()
    meta = {"thread_id": tid, "tool_name": tool, "created_at": stamp, "last_updated_at": stamp}
    return ThreadRecord(tid, meta, ['{"role":"user","content":"a"}'] * 2, 30 * DAY)


# thread id -> (tool, age in seconds)
AGES = {
    "old-chat": ("chat", 10 * DAY),
    "old-review": ("review", 9 * DAY),
    "mid-chat": ("chat", 2 * 3600),
    "new-review": ("review", 60),
    "newest": ("chat", 5),
}


@pytest.fixture
def local(config_file: Path) -> Context:
    """The local store (no config file: its default database under HOME), filled."""
    open_storage(local=True).import_threads(
        [record(tid, tool, age) for tid, (tool, age) in AGES.items()], False
    )
    factory.reset()
    return Context(config_file, local=True)


@pytest.fixture
def down(write_config: Callable[..., Path], config_file: Path) -> Context:
    """A project where nothing listens: any attempt to open it is exit 4."""
    write_config({"down": {"port": servers.free_port()}}, default="down", fallback="error")
    return Context(config_file)


@pytest.mark.parametrize(("text", "expected"), [("90s", 90.0), ("2h 30m", 9000.0), ("7d", 7 * DAY)])
def test_seconds_reads_a_duration(text: str, expected: float) -> None:
    assert core.seconds(text, "--since") == expected


def test_options_are_checked_before_the_store_is_opened(down: Context) -> None:
    calls: list[tuple[Callable[[], Any], str]] = [
        (lambda: core.listing(down, limit=0), "--limit must be at least 1, not 0"),
        (lambda: core.listing(down, since="soon"), "--since: not a duration: 'soon' (e.g. 90s"),
        (lambda: core.delete(down, ["a", ""]), "a thread id is empty"),
        (lambda: core.purge(down, "a week"), "--older-than: not a duration: 'a week' (e.g."),
    ]
    for call, message in calls:
        with pytest.raises(UsageError) as caught:
            call()
        assert caught.value.exit_code is ExitCode.USAGE
        assert caught.value.message.startswith(message)
    with pytest.raises(Exception) as unreachable:  # the same project, options fine
        core.listing(down)
    assert unreachable.value.exit_code is ExitCode.STORAGE_UNREACHABLE  # type: ignore[attr-defined]


def test_listing_is_newest_first_within_since_and_tool(local: Context) -> None:
    everything = core.listing(local)
    assert (everything.project, everything.index) == ("local", "complete")
    assert [row.thread_id for row in everything.rows] == [
        "newest",
        "new-review",
        "mid-chat",
        "old-review",
        "old-chat",
    ]
    assert [r.thread_id for r in core.listing(local, limit=2).rows] == ["newest", "new-review"]
    assert [r.thread_id for r in core.listing(local, since="3h").rows] == [
        "newest",
        "new-review",
        "mid-chat",
    ]
    assert [r.thread_id for r in core.listing(local, tool="chat", limit=2).rows] == [
        "newest",
        "mid-chat",
    ]
    assert [r.thread_id for r in core.listing(local, since="1d", tool="review").rows] == [
        "new-review"
    ]


def test_delete_reports_what_it_removed_and_what_it_did_not_find(local: Context) -> None:
    removal = core.delete(local, ["mid-chat", "nope", "mid-chat", "newest"])
    assert (removal.project, removal.removed, removal.missing) == (
        "local",
        ["mid-chat", "newest"],  # each id once, in the order given
        ["nope"],
    )
    assert open_storage(local=True).thread_read("mid-chat") == (None, [])
    assert core.delete(local, ["mid-chat"]).missing == ["mid-chat"]
    assert [r.thread_id for r in core.listing(local).rows] == [
        "new-review",
        "old-review",
        "old-chat",
    ]


def test_purge_removes_only_the_old_and_a_dry_run_nothing(local: Context) -> None:
    pages: list[list[str]] = []

    def each(rows: list[Any]) -> None:
        pages.append([row.thread_id for row in rows])

    dry = core.purge(local, "7d", dry_run=True, each=each)
    assert (dry.project, dry.dry_run, dry.removed, dry.turns) == ("local", True, 2, 4)
    assert sorted(tid for page in pages for tid in page) == ["old-chat", "old-review"]
    assert len(core.listing(local).rows) == len(AGES)
    assert core.purge(local, "7d", tool="review").removed == 1
    started = time.time()
    report = core.purge(local, "1h")
    assert (report.removed, report.dry_run, report.kept) == (2, False, 0)  # mid-chat, old-chat
    assert started - 3600 <= report.cutoff <= time.time() - 3600
    assert [r.thread_id for r in core.listing(local).rows] == ["newest", "new-review"]


def test_reindex_finds_threads_written_behind_the_index(
    write_config: Callable[..., Path],
    config_file: Path,
    quiet_server: servers.Server,
    unique_prefix: str,
) -> None:
    import redis

    quiet_server.cli("FLUSHALL")  # the session's quiet server: this test's keyspace alone
    write_config({"p": {"port": quiet_server.port, "key_prefix": unique_prefix}}, fallback="error")
    ctx = Context(config_file, project="p")
    open_storage("p").import_threads([record("indexed", "chat", 60)], False)
    raw: Any = redis.Redis(port=quiet_server.port)
    try:
        stamp = datetime.fromtimestamp(time.time() - 30, UTC).isoformat()
        meta = {"thread_id": "legacy", "tool_name": "chat", "created_at": stamp}
        meta["last_updated_at"] = stamp  # keys an older zenconfig wrote, never indexed
        raw.hset(unique_prefix + meta_key("legacy"), mapping=meta)
        raw.rpush(unique_prefix + turns_key("legacy"), '{"role":"user","content":"old"}')
        raw.delete(unique_prefix + INDEX_MARKER)
        factory.reset()
        before = core.listing(ctx)
        assert ([r.thread_id for r in before.rows], before.index) == (["indexed"], "missing")
        progress: list[Any] = []
        assert core.reindex(ctx, progress=lambda *a, **k: progress.append(a)) == ("p", 2)
        assert progress
        after = core.listing(ctx)
        assert ([r.thread_id for r in after.rows], after.index) == (
            ["legacy", "indexed"],
            "complete",
        )
    finally:
        raw.close()
