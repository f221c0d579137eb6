"""One contract, two stores: the memory store and the Redis store pass the same tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from zenconfig.storage.base import THREAD_FULL, THREAD_MISSING, Store, meta_key, turns_key
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


def test_memory_store_leaves_no_thread_behind(tmp_path: Path) -> None:
    import threading

    before = threading.active_count()
    store: Any = MemoryStore()
    for i in range(600):
        store.set_with_ttl(f"k{i}", 1, "v")
    assert threading.active_count() == before
