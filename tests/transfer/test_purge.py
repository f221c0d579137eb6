"""``zen storage delete``, ``purge`` and ``reindex`` on Redis, a 3-master Cluster and
the local store: each thread removed whole with its index entry, a dry run that changes
nothing, batches that can be stopped and run again, a reindex that resumes."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tests.storage.backends import Backend, backend_fixture  # noqa: F401
from zenconfig import ConversationStore
from zenconfig.errors import ExitCode
from zenconfig.storage.base import INDEX_MARKER, ThreadRecord, meta_key, turns_key
from zenconfig.transfer import purge as purging

DAY = 86400


def record(tid: str, tool: str, age: float) -> ThreadRecord:
    stamp = datetime.fromtimestamp(time.time() - age, UTC).isoformat()
    meta = {"thread_id": tid, "tool_name": tool, "created_at": stamp, "last_updated_at": stamp}
    return ThreadRecord(tid, meta, ['{"role":"user","content":"a"}'] * 2, 30 * DAY)


def fill(b: Backend) -> None:
    old = [record(f"old{i}", "review" if i % 3 == 0 else "chat", 10 * DAY + i) for i in range(30)]
    new = [record(f"new{i}", "review" if i % 3 == 0 else "chat", 3600 + i) for i in range(10)]
    b.store().import_threads(old + new, False)


def ids(b: Backend) -> set[str]:
    return {row.thread_id for row in b.store().thread_list(10_000)}


def gone(b: Backend, tid: str) -> bool:
    store = b.store()
    return store.thread_read(tid) == (None, []) and not store.exists(turns_key(tid))


def test_delete_removes_each_thread_whole(zen, backend: Backend) -> None:
    fill(backend)
    r = zen(*backend.args, "storage", "delete", "old1", "new2", "old1")
    assert r.code == 0, r
    assert r.out.splitlines() == ["deleted old1", "deleted new2"]
    assert "zen: deleted 2 thread(s) from" in r.err
    assert gone(backend, "old1") and gone(backend, "new2")
    assert len(ids(backend)) == 38 and backend.store().thread_count() == 38
    r = zen(*backend.args, "storage", "delete", "new3", "nope\x1b[2J", "--json")
    assert r.code == ExitCode.ERROR
    assert r.json()["deleted"] == ["new3"] and r.json()["missing"] == ["nope\x1b[2J"]
    assert "zen: error: no thread 'nope\\x1b[2J' in" in r.err and "\x1b" not in r.err
    assert gone(backend, "new3") and backend.store().thread_count() == 37


def test_purge_dry_run_changes_nothing_then_purge_removes_the_old(zen, backend: Backend) -> None:
    fill(backend)
    before = ids(backend)
    dry = zen(*backend.args, "storage", "purge", "--older-than", "7d", "--dry-run", "--json")
    assert dry.code == 0, dry
    found = dry.json()
    assert (found["dry_run"], found["removed"], found["turns"]) == (True, 30, 60)
    assert [t["thread_id"] for t in found["threads"]] == [f"old{i}" for i in reversed(range(30))]
    assert ids(backend) == before and backend.store().thread_count() == 40
    assert backend.store().thread_read("old0")[1] != []
    text = zen(*backend.args, "storage", "purge", "--older-than", "7d", "--dry-run")
    assert text.out.splitlines()[0].startswith("would remove old29  (chat, 2 turns, updated 10d")
    assert "would remove 30 thread(s) (60 turns) of p" in text.err or "of local" in text.err
    assert ids(backend) == before

    only = zen(*backend.args, "storage", "purge", "--older-than", "7d", "--tool", "review")
    assert only.code == 0, only
    assert len(only.out.splitlines()) == 10
    assert all(line.startswith("removed old") for line in only.out.splitlines())
    assert "removed 10 thread(s) of tool review (20 turns)" in only.err
    assert ids(backend) == before - {f"old{i}" for i in range(0, 30, 3)}

    rest = zen(*backend.args, "storage", "purge", "--older-than", "7d", "--json")
    assert rest.code == 0 and rest.json()["removed"] == 20 and not rest.json()["dry_run"]
    assert ids(backend) == {f"new{i}" for i in range(10)}
    assert all(gone(backend, f"old{i}") for i in range(30))
    assert backend.store().thread_count() == 10
    again = zen(*backend.args, "storage", "purge", "--older-than", "7d")
    assert again.code == 0 and again.out == "" and "removed 0 thread(s)" in again.err


def test_purge_usage_errors(zen) -> None:
    r = zen("--memory", "storage", "purge", "--older-than", "a week")
    assert r.code == ExitCode.USAGE
    assert r.err.startswith("zen: error: --older-than: not a duration: 'a week'")
    r = zen("--memory", "storage", "purge")
    assert r.code == ExitCode.USAGE and "--older-than" in r.err


def test_a_stopped_purge_run_again_finishes(backend: Backend) -> None:
    """Batches of 7: stopped after two, the next run removes the rest, nothing twice."""
    fill(backend)
    store = backend.store()
    pages: list[list[str]] = []

    def stop(rows: list) -> None:
        pages.append([r.thread_id for r in rows])
        if len(pages) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        purging.purge(store, 7 * DAY, each=stop, batch=7)
    assert [len(p) for p in pages] == [7, 7] and store.thread_count() == 26
    report = purging.purge(store, 7 * DAY, batch=7)
    assert (report.removed, report.kept) == (16, 0)
    assert ids(backend) == {f"new{i}" for i in range(10)}


def test_purge_keeps_a_thread_written_while_it_runs(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """old27 gets a turn after the purge listed it and before it deleted it: kept."""
    fill(backend)
    store = backend.store()
    conversations = ConversationStore(store)
    real = store.thread_delete_many

    def written_first(thread_ids, unchanged=None):
        if "old27" in thread_ids:
            assert conversations.add_turn("old27", "user", "back again")
        return real(thread_ids, unchanged)

    monkeypatch.setattr(store, "thread_delete_many", written_first)
    report = purging.purge(store, 7 * DAY, batch=4)
    assert (report.removed, report.kept) == (29, 1)
    assert ids(backend) == {"old27", *(f"new{i}" for i in range(10))}
    assert len(store.thread_read("old27")[1]) == 3


def legacy(b: Backend, tid: str) -> None:
    stamp = datetime.fromtimestamp(time.time() - 50, UTC).isoformat()
    meta = {"thread_id": tid, "tool_name": "chat", "created_at": stamp, "last_updated_at": stamp}
    b.raw.hset(b.key(meta_key(tid)), mapping=meta)
    b.raw.rpush(b.key(turns_key(tid)), '{"role":"user","content":"old"}')


@pytest.mark.parametrize("backend", ["redis", "cluster"], indirect=True)
def test_reindex_of_data_written_without_an_index(
    zen, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = backend.store()
    conversations = ConversationStore(store)
    conversations.create_thread("chat", thread_id="indexed")
    place = store.thread_list(1)[0].updated
    for i in range(1200):
        legacy(backend, f"legacy{i:04}")
    conversations.create_thread("chat", thread_id="deleted-behind")
    backend.raw.delete(backend.key(meta_key("deleted-behind")))  # a stale index entry
    backend.raw.delete(backend.key(INDEX_MARKER))
    assert ids(backend) == {"indexed"}

    from zenconfig.storage.redis import upkeep

    calls = []
    real = upkeep._index_page

    def stop_after_two(store, page):  # the first run is stopped after two SCAN pages
        calls.append(len(page))
        if len(calls) > 2:
            raise KeyboardInterrupt
        return real(store, page)

    monkeypatch.setattr(upkeep, "_index_page", stop_after_two)
    r = zen(*backend.args, "storage", "reindex")
    assert r.code == 130 and "zen: interrupted" in r.err
    assert backend.raw.exists(backend.key(upkeep.CHECKPOINT))
    assert not backend.raw.exists(backend.key(INDEX_MARKER))
    monkeypatch.setattr(upkeep, "_index_page", real)
    r = zen(*backend.args, "storage", "reindex")
    assert r.code == 0, r
    assert "zen: indexed 1,201 thread(s) of p in " in r.err and "its index is complete" in r.err
    listed = ids(backend)
    assert listed == {"indexed", *(f"legacy{i:04}" for i in range(1200))}
    assert store.thread_count() == 1201 and len(listed) == 1201
    assert backend.raw.exists(backend.key(INDEX_MARKER))
    assert not backend.raw.exists(backend.key(upkeep.CHECKPOINT))
    assert [r.updated for r in store.thread_list(2000) if r.thread_id == "indexed"] == [place]
    r = zen(*backend.args, "storage", "threads", "-n", "1")
    assert r.code == 0 and r.err == ""


def test_reindex_on_every_store(zen, backend: Backend) -> None:
    fill(backend)
    r = zen(*backend.args, "storage", "reindex")
    assert r.code == 0, r
    assert "zen: indexed 40 thread(s) of " in r.err
    assert len(ids(backend)) == 40
