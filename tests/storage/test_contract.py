"""One contract, every store: the memory store and the Redis store (and the local
store, in its own module) pass the same tests. ``StoreContract`` knows nothing of
any backend: a subclass provides ``store`` (empty, fresh) and, where its backend
can fail, ``unavailable`` (the same kind of store with its backend gone)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from zenconfig.errors import StorageUnavailableError, WriteUnknownError, ZenConfigError
from zenconfig.storage.base import (
    THREAD_FULL,
    THREAD_MISSING,
    MergeResult,
    Store,
    ThreadRecord,
    meta_key,
    turns_key,
)
from zenconfig.storage.memory import MemoryStore


class StoreContract:
    @pytest.fixture
    def store(self) -> Store:
        raise NotImplementedError

    def test_set_get_with_ttl(self, store: Store) -> None:
        assert store.get("k") is None
        store.set_with_ttl("k", 100, "v1")
        assert store.get("k") == "v1"
        assert 95 <= store.ttl("k") <= 100
        store.setex("k", 50, "v2")
        assert (store.get("k"), 45 <= store.ttl("k") <= 50) == ("v2", True)
        assert store.ttl("missing") == -2

    def test_exists_delete(self, store: Store) -> None:
        store.set_with_ttl("a", 100, "1")
        store.set_with_ttl("b", 100, "2")
        assert store.exists("a") and not store.exists("zzz")
        assert store.delete("a", "b", "zzz") == 2
        assert store.delete("a") == 0
        assert not store.exists("a")

    def test_ttl_expires(self, store: Store) -> None:
        store.set_with_ttl("short", 1, "x")
        assert store.get("short") == "x"
        time.sleep(1.3)
        assert store.get("short") is None
        assert not store.exists("short")

    def test_scan_is_relative_and_filtered(self, store: Store) -> None:
        store.set_with_ttl("s:1", 100, "a")
        store.set_with_ttl("s:2", 100, "b")
        store.set_with_ttl("other", 100, "c")
        assert sorted(store.scan("s:*")) == ["s:1", "s:2"]

    def test_ping(self, store: Store) -> None:
        assert store.ping() >= 0

    def test_thread_lifecycle(self, store: Store) -> None:
        tid = uuid.uuid4().hex
        assert store.thread_append(tid, "t", "now", 100, 5) == THREAD_MISSING
        assert store.thread_create(tid, {"tool_name": "chat", "created_at": "x"}, 100)
        assert not store.thread_create(tid, {"tool_name": "again"}, 100)
        assert [store.thread_append(tid, f"turn{i}", f"at{i}", 100, 3) for i in range(4)] == [
            1,
            2,
            3,
            THREAD_FULL,
        ]
        meta, turns = store.thread_read(tid)
        assert meta is not None and meta["tool_name"] == "chat"
        assert meta["last_updated_at"] == "at2"
        assert turns == ["turn0", "turn1", "turn2"]
        assert store.thread_delete(tid)
        assert store.thread_read(tid) == (None, [])
        assert not store.thread_delete(tid)

    def test_append_refreshes_both_ttls(self, store: Store) -> None:
        tid = uuid.uuid4().hex
        store.thread_create(tid, {"tool_name": "chat"}, 30)
        assert store.ttl(meta_key(tid)) <= 30
        store.thread_append(tid, "t", "now", 500, 10)
        assert store.ttl(meta_key(tid)) > 400
        assert store.ttl(turns_key(tid)) > 400

    # -- v2: set, merge, index, batches ---------------------------------------------

    def test_set_without_ttl_keeps_forever(self, store: Store) -> None:
        store.set("plain", "v")
        assert (store.get("plain"), store.ttl("plain")) == ("v", -1)
        store.set("plain", "w", ttl=30)
        assert store.get("plain") == "w" and 25 <= store.ttl("plain") <= 30

    @pytest.mark.parametrize("ttl", [0, -1])
    def test_set_refuses_a_ttl_that_is_not_positive(self, store: Store, ttl: int) -> None:
        with pytest.raises(ZenConfigError, match="ttl must be a positive number"):
            store.set("k", "v", ttl=ttl)
        assert store.get("k") is None

    def test_text_round_trips(self, store: Store) -> None:
        value = "ünïcödé ✓ \x00 \n"
        store.set("ключ:🧵", value, ttl=60)
        assert store.get("ключ:🧵") == value
        assert list(store.scan("ключ:*")) == ["ключ:🧵"]

    def test_merge_creates_sets_meta_and_appends_only_new_turns(self, store: Store) -> None:
        tid = uuid.uuid4().hex
        first = store.thread_merge(
            tid, {"tool_name": "chat", "created_at": "c"}, ["a", "b"], 100, 10
        )
        assert first == MergeResult(created=True, appended=2, refused=0, total=2)
        again = store.thread_merge(tid, {"last_updated_at": "u"}, ["a", "b", "c"], 100, 10)
        assert again == MergeResult(created=False, appended=1, refused=0, total=3)
        meta, turns = store.thread_read(tid)
        assert meta is not None and (meta["tool_name"], meta["last_updated_at"]) == ("chat", "u")
        assert meta["thread_id"] == tid
        assert turns == ["a", "b", "c"]

    def test_merge_counts_repeats_and_keeps_order(self, store: Store) -> None:
        tid = uuid.uuid4().hex
        store.thread_merge(tid, {"tool_name": "chat"}, ["ok", "ok"], 100, 10)
        result = store.thread_merge(tid, {}, ["ok", "x", "ok", "ok", "y"], 100, 10)
        assert (result.appended, result.total) == (3, 5)
        assert store.thread_read(tid)[1] == ["ok", "ok", "x", "ok", "y"]

    def test_merge_never_removes_and_refuses_past_max_turns_whole(self, store: Store) -> None:
        tid = uuid.uuid4().hex
        store.thread_merge(tid, {"tool_name": "chat", "last_updated_at": "u1"}, ["a", "b"], 60, 3)
        result = store.thread_merge(tid, {}, ["c"], 60, 3)  # a, b dropped by the writer
        assert result == MergeResult(created=False, appended=1, refused=0, total=3)
        full = store.thread_merge(tid, {"last_updated_at": "u2"}, ["a", "b", "c", "d"], 500, 3)
        assert full == MergeResult(created=False, appended=0, refused=1, total=3)
        meta, turns = store.thread_read(tid)
        assert turns == ["a", "b", "c"] and meta is not None
        assert meta["last_updated_at"] == "u1"  # a refused write changes nothing: no meta,
        assert store.ttl(meta_key(tid)) <= 60  # and no fresh expiry (a full thread still ends)
        over = store.thread_merge(tid + "-new", {"tool_name": "chat"}, ["1", "2", "3", "4"], 60, 3)
        assert over == MergeResult(created=False, appended=0, refused=4, total=0)
        assert store.thread_read(tid + "-new") == (None, [])

    def test_merge_after_the_turns_read_is_the_whole_merge_or_nothing(self, store: Store) -> None:
        tid = uuid.uuid4().hex
        empty = (0, "", "")
        assert store.thread_merge(tid, {"tool_name": "c"}, ["x"], 100, 10, after=empty) is None
        assert store.thread_read(tid) == (None, [])  # no thread: nothing created
        store.thread_merge(tid, {"tool_name": "chat", "last_updated_at": "u1"}, ["a", "b"], 60, 10)
        # more than stored; another n-th turn; another first turn (written anew since)
        for after in ((3, "a", "b"), (2, "a", "a"), (1, "a", "b"), (2, "z", "b")):
            assert store.thread_merge(tid, {"last_updated_at": "no"}, ["z"], 500, 10, after) is None
        meta, turns = store.thread_read(tid)
        assert turns == ["a", "b"] and meta is not None and meta["last_updated_at"] == "u1"
        assert store.ttl(meta_key(tid)) <= 60  # nothing changed, not even the expiry
        read = (2, "a", "b")
        done = store.thread_merge(tid, {"last_updated_at": "u2"}, ["c"], 100, 10, after=read)
        assert done == MergeResult(created=False, appended=1, refused=0, total=3)
        # "c" was written since the writer read two turns: compared with what followed them
        again = store.thread_merge(tid, {}, ["c", "d", "d"], 100, 10, after=read)
        assert again == MergeResult(created=False, appended=2, refused=0, total=5)
        full = store.thread_merge(tid, {"last_updated_at": "u3"}, ["e"], 100, 5, (5, "a", "d"))
        assert full == MergeResult(created=False, appended=0, refused=1, total=5)
        meta, turns = store.thread_read(tid)
        assert turns == ["a", "b", "c", "d", "d"] and meta is not None
        assert meta["last_updated_at"] == "u2"

    def test_merge_refreshes_the_expiry(self, store: Store) -> None:
        tid = uuid.uuid4().hex
        store.thread_merge(tid, {"tool_name": "chat"}, ["a"], 30, 10)
        store.thread_merge(tid, {}, [], 500, 10)
        assert store.ttl(meta_key(tid)) > 400 and store.ttl(turns_key(tid)) > 400

    def test_list_newest_first_with_limit_since_and_tool(self, store: Store) -> None:
        ids = [f"{uuid.uuid4().hex}-{i}" for i in range(5)]
        for i, tid in enumerate(ids):
            meta = {"tool_name": "chat" if i % 2 else "review", "created_at": "c"}
            store.thread_create(tid, {**meta, "last_updated_at": "c"}, 100)
            time.sleep(0.01)
        time.sleep(0.02)
        middle = time.time()
        store.thread_append(ids[1], "t", "u", 100, 10)  # the newest now
        assert [r.thread_id for r in store.thread_list(10)] == [
            ids[1],
            ids[4],
            ids[3],
            ids[2],
            ids[0],
        ]
        assert [r.thread_id for r in store.thread_list(2)] == [ids[1], ids[4]]
        assert [r.thread_id for r in store.thread_list(10, since=middle)] == [ids[1]]
        assert [r.thread_id for r in store.thread_list(10, tool="chat")] == [ids[1], ids[3]]
        row = store.thread_list(1)[0]
        assert (row.tool_name, row.turns, row.last_updated_at, row.problem) == (
            "chat",
            1,
            "u",
            None,
        )
        assert 90 <= row.ttl <= 100
        assert store.thread_count() == 5

    def test_list_flags_a_malformed_thread(self, store: Store) -> None:
        store.thread_create("odd", {"tool_name": "chat"}, 100)  # no created_at, last_updated_at
        (row,) = store.thread_list(10)
        assert row.thread_id == "odd"
        assert row.problem == "meta lacks created_at, last_updated_at"

    def test_deleted_and_expired_threads_leave_the_index(self, store: Store) -> None:
        store.thread_create("gone", {"tool_name": "chat"}, 100)
        store.thread_create("brief", {"tool_name": "chat"}, 1)
        store.thread_create("kept", {"tool_name": "chat"}, 100)
        assert store.thread_delete("gone")
        time.sleep(1.3)
        assert [r.thread_id for r in store.thread_list(10)] == ["kept"]
        assert store.thread_count() == 1

    def test_export_in_batches_and_import_each_whole(self, store: Store) -> None:
        for i in range(5):
            store.thread_create(f"t{i}", {"tool_name": "chat", "created_at": "c"}, 100)
            store.thread_append(f"t{i}", f"turn{i}", "u", 100, 10)
        batches = list(store.export_threads(batch=2))
        assert all(1 <= len(b) <= 2 for b in batches)
        records = sorted((r for b in batches for r in b), key=lambda r: r.thread_id)
        assert [r.thread_id for r in records] == [f"t{i}" for i in range(5)]
        assert records[3].turns == ["turn3"] and records[3].meta["last_updated_at"] == "u"
        assert records[3].ttl is not None and 90 <= records[3].ttl <= 100
        for tid in ("t0", "t1"):
            store.thread_delete(tid)
        changed = ThreadRecord("t2", {"tool_name": "new"}, ["x", "y"], None)
        assert store.import_threads([*records[:2], changed], replace=False) == [
            "imported",
            "imported",
            "skipped",
        ]
        assert store.thread_read("t0")[1] == ["turn0"]
        assert store.import_threads([changed], replace=True) == ["replaced"]
        assert store.thread_read("t2") == ({"tool_name": "new"}, ["x", "y"])
        assert store.ttl(meta_key("t2")) == -1  # ttl None: no expiry
        assert store.thread_count() == 5

    def test_export_rounds_the_life_left_to_the_nearest_second(self, store: Store) -> None:
        # one rounding for every store (records.seconds_left), so copies neither gain nor
        # lose a second per hop; a live thread never exports as 0 or as no expiry
        store.import_threads([ThreadRecord(t, {"tool_name": "c"}, [], 2) for t in "ab"], False)
        time.sleep(0.75)  # 1.25 s left: 1, where rounding up said 2
        assert [r.ttl for b in store.export_threads() for r in b] == [1, 1]
        time.sleep(0.85)  # 0.4 s left: still alive, so 1, not 0 (or None)
        assert [r.ttl for b in store.export_threads() for r in b] == [1, 1]

    def test_import_places_threads_by_their_last_update(self, store: Store) -> None:
        old = ThreadRecord(
            "old", {"tool_name": "c", "last_updated_at": "2020-01-01T00:00:00+00:00"}, [], 100
        )
        new = ThreadRecord(
            "new", {"tool_name": "c", "last_updated_at": "2030-01-01T00:00:00+00:00"}, [], 100
        )
        store.import_threads([old, new], replace=False)
        assert [r.thread_id for r in store.thread_list(10)] == ["new", "old"]
        assert [r.thread_id for r in store.thread_list(10, since=1_800_000_000)] == ["new"]

    def test_import_of_a_thread_without_meta(self, store: Store) -> None:
        assert store.import_threads([ThreadRecord("bare", {}, ["t"], 100)], False) == ["imported"]
        assert store.thread_read("bare") == ({"thread_id": "bare"}, ["t"])

    def test_a_store_that_wrote_every_thread_has_a_complete_index(self, store: Store) -> None:
        store.thread_create("first", {"tool_name": "chat"}, 100)
        store.import_threads([ThreadRecord("second", {"tool_name": "chat"}, [], 100)], False)
        assert store.thread_index_state() == "complete"
        row = store.thread_list(1)[0]
        assert row.thread_id == "second" and row.updated is not None
        assert abs(row.updated - time.time()) < 5  # no last_updated_at: placed at the import

    def test_survey_exact_and_sampled(self, store: Store) -> None:
        for i in range(6):
            turns = ["t" * 10] * (i + 1)
            store.import_threads([ThreadRecord(f"s{i}", {"tool_name": "c"}, turns, 100 + i)], False)
        store.import_threads([ThreadRecord("forever", {"tool_name": "c"}, [], None)], False)
        seen: list[int] = []
        every = store.thread_survey(None, progress=lambda n, total=None: seen.append(n))
        assert (every.threads, every.sampled, every.turns, every.forever) == (7, 7, 21, 1)
        assert sum(seen) == 7 and every.bytes >= 210
        assert every.turns_sq == sum((i + 1) ** 2 for i in range(6))
        assert 95 <= (every.ttl_min or 0) <= 100 and 100 <= (every.ttl_max or 0) <= 105
        assert every.oldest is not None and every.newest is not None
        assert every.oldest <= every.newest
        some = store.thread_survey(3)
        assert (some.threads, some.sampled) == (7, 3) and 0 <= some.turns <= 18

    def test_list_older_oldest_first_after_a_cursor(self, store: Store) -> None:
        stamps = {f"o{i}": f"2020-01-0{i + 1}T00:00:00+00:00" for i in range(5)}
        records = [
            ThreadRecord(t, {"tool_name": "a" if i % 2 else "b", "last_updated_at": s}, [], 100)
            for i, (t, s) in enumerate(stamps.items())
        ]
        store.import_threads([*records, ThreadRecord("now", {"tool_name": "a"}, [], 100)], False)
        cutoff = 1_600_000_000.0  # 2020-09
        first = store.thread_list_older(cutoff, 2)
        assert [r.thread_id for r in first] == ["o0", "o1"]
        last = first[-1]
        assert last.updated is not None
        rest = store.thread_list_older(cutoff, 10, after=(last.updated, last.thread_id))
        assert [r.thread_id for r in rest] == ["o2", "o3", "o4"]
        assert [r.thread_id for r in store.thread_list_older(cutoff, 10, tool="a")] == ["o1", "o3"]
        assert store.thread_list_older(1_577_836_800.0, 10) == []  # 2020-01-01: none before

    def test_delete_many_keeps_a_thread_written_since_it_was_listed(self, store: Store) -> None:
        for tid in ("d1", "d2", "d3"):
            store.thread_create(tid, {"tool_name": "c", "last_updated_at": "then"}, 100)
        assert store.thread_delete_many(["d1", "missing"]) == [True, False]
        listed = ["then", "then"]
        store.thread_append("d3", "turn", "now", 100, 10)  # written after it was listed
        assert store.thread_delete_many(["d2", "d3"], listed) == [True, False]
        assert store.thread_read("d3")[1] == ["turn"]
        assert [r.thread_id for r in store.thread_list(10)] == ["d3"]
        assert store.thread_count() == 1
        many = [f"m{i}" for i in range(1200)]
        store.import_threads([ThreadRecord(t, {"tool_name": "c"}, ["x"], 100) for t in many], False)
        assert store.thread_delete_many(many) == [True] * 1200
        assert store.thread_count() == 1

    def test_reindex_counts_every_thread(self, store: Store) -> None:
        for i in range(3):
            store.thread_create(f"r{i}", {"tool_name": "chat"}, 100)
        assert store.thread_reindex() == 3
        assert store.thread_count() == 3

    # -- errors: always ours, never a library's ------------------------------------------

    @pytest.fixture
    def unavailable(self) -> Store:
        """The same kind of store with its backend gone (skipped where it cannot fail)."""
        pytest.skip("this store cannot become unavailable")

    def test_an_unavailable_backend_raises_our_errors(self, unavailable: Store) -> None:
        calls = [
            lambda: unavailable.get("k"),
            lambda: unavailable.set("k", "v"),
            lambda: unavailable.exists("k"),
            lambda: list(unavailable.scan("*")),
            lambda: unavailable.thread_read("t"),
            lambda: unavailable.thread_list(5),
            lambda: unavailable.thread_count(),
            lambda: [b for b in unavailable.export_threads(5)],
        ]
        for call in calls:
            with pytest.raises(StorageUnavailableError):
                call()
        for write in (
            lambda: unavailable.thread_create("t", {"tool_name": "c"}, 10),
            lambda: unavailable.thread_append("t", "x", "u", 10, 10),
            lambda: unavailable.thread_merge("t", {}, ["x"], 10, 10),
            lambda: unavailable.import_threads(
                [ThreadRecord("t", {"tool_name": "c"}, [], 10)], False
            ),
        ):
            with pytest.raises((StorageUnavailableError, WriteUnknownError)):
                write()


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> Store:
        return MemoryStore()


class TestRedisStore(StoreContract):
    @pytest.fixture
    def store(self, redis_server: servers.Server, unique_prefix: str) -> Iterator[Store]:
        from zenconfig import spec
        from zenconfig.storage import redis as redis_backend

        conn = spec.connection("contract", {"port": redis_server.port, "key_prefix": unique_prefix})
        store = redis_backend.open_store(conn, None)
        yield store
        keys = list(store.scan("*"))
        store.delete(*keys)

    @pytest.fixture
    def unavailable(self, tmp_path: Path) -> Iterator[Store]:
        """A store whose server was stopped after it was opened."""
        from zenconfig import spec
        from zenconfig.storage import redis as redis_backend

        server = servers.start(tmp_path / "gone")
        conn = spec.connection("gone", {"port": server.port, "timeouts": {"socket_seconds": 1}})
        store = redis_backend.open_store(conn, None)
        server.stop()
        yield store


def test_memory_store_leaves_no_thread_behind(tmp_path: Path) -> None:
    import threading

    before = threading.active_count()
    store: Any = MemoryStore()
    for i in range(600):
        store.set_with_ttl(f"k{i}", 1, "v")
    assert threading.active_count() == before


@pytest.mark.parametrize("make", [MemoryStore])
def test_creating_an_existing_thread_is_our_error(make: Any) -> None:
    from zenconfig import ConversationStore
    from zenconfig.errors import ThreadExistsError

    conversations = ConversationStore(make())
    conversations.create_thread("chat", thread_id="same")
    with pytest.raises(ThreadExistsError, match="thread same already exists"):
        conversations.create_thread("chat", thread_id="same")


def test_a_malformed_thread_is_our_error_when_read() -> None:
    from zenconfig import ConversationStore

    store = MemoryStore()
    store.thread_create("odd", {"tool_name": "chat"}, 100)
    with pytest.raises(ZenConfigError, match="thread odd is malformed"):
        ConversationStore(store).get_thread("odd")
    store.set(meta_key("odd"), "not a hash")
    assert store.thread_list(5)[0].problem == "unreadable meta: not a hash"
