"""zenconfig.storage.memory: MemoryStore: expiry when touched and by sweep, ttls, max_turns."""

from __future__ import annotations

import threading
import time

import pytest

from zenconfig.storage import memory
from zenconfig.storage.base import THREAD_FULL, THREAD_MISSING, meta_key, turns_key
from zenconfig.storage.memory import MemoryStore


def test_expired_entries_are_invisible_and_swept_when_never_touched() -> None:
    store = MemoryStore()
    store.set("touched", "v", ttl=1)
    for i in range(10):
        store.set(f"untouched:{i}", "v", ttl=1)
    store.thread_create("brief", {"tool_name": "chat"}, 1)
    store.set("kept", "v")
    time.sleep(1.2)
    assert store.delete("touched") == 0  # an expired key is not counted as deleted
    assert (store.exists("touched"), store.ttl("touched")) == (False, -2)
    assert store.thread_append("brief", "t", "u", 100, 10) == THREAD_MISSING
    assert store.thread_create("brief", {"tool_name": "again"}, 100)  # the id is free again
    # nothing read the untouched keys: they wait for the sweep of every SWEEP_EVERY writes
    while (store._writes + 1) % memory.SWEEP_EVERY:
        store.set("kept", "v")
    assert sum(k.startswith("untouched:") for k in store._data) == 10
    store.set("kept", "v")
    assert sum(k.startswith("untouched:") for k in store._data) == 0
    assert sorted(store.scan("*")) == sorted(["kept", meta_key("brief")])


def test_a_thread_ttl_not_positive_means_no_expiry() -> None:
    store = MemoryStore()
    assert store.thread_create("t", {"tool_name": "chat"}, 0)
    assert store.ttl(meta_key("t")) == -1
    assert store.thread_append("t", "a", "u1", -5, 10) == 1
    assert (store.ttl(meta_key("t")), store.ttl(turns_key("t"))) == (-1, -1)
    store.thread_merge("t", {}, ["b"], 0, 10)
    assert (store.ttl(meta_key("t")), store.ttl(turns_key("t"))) == (-1, -1)
    assert store.thread_append("t", "c", "u2", 100, 10) == 3
    assert 95 <= store.ttl(meta_key("t")) <= 100 and 95 <= store.ttl(turns_key("t")) <= 100


def test_a_full_thread_refuses_and_is_left_as_it_was() -> None:
    store = MemoryStore()
    store.thread_create("full", {"tool_name": "chat", "last_updated_at": "c"}, 50)
    assert [store.thread_append("full", f"t{i}", f"u{i}", 50, 2) for i in range(2)] == [1, 2]
    time.sleep(0.01)
    store.thread_create("newer", {"tool_name": "chat"}, 50)
    assert store.thread_append("full", "late", "u-late", 500, 2) == THREAD_FULL
    meta, turns = store.thread_read("full")
    assert meta is not None and meta["last_updated_at"] == "u1" and turns == ["t0", "t1"]
    assert store.ttl(meta_key("full")) <= 50  # not refreshed by the refused append
    assert [r.thread_id for r in store.thread_list(5)] == ["newer", "full"]  # index unmoved
    assert store.thread_append("full", "more room", "u2", 50, 3) == 3  # max_turns is per call


def test_thread_keys_hold_no_text_and_a_thread_without_meta_gets_its_id() -> None:
    store = MemoryStore()
    assert store.thread_create("t", {}, 100)
    store.thread_append("t", "turn", "u", 100, 10)
    assert store.thread_read("t") == ({"thread_id": "t", "last_updated_at": "u"}, ["turn"])
    assert (store.get(meta_key("t")), store.get(turns_key("t"))) == (None, None)
    assert store.exists(turns_key("t")) and store.delete(turns_key("t")) == 1
    assert store.thread_read("t")[1] == []
    assert store.thread_delete("t") and not store.exists(meta_key("t"))


def test_each_store_is_its_own_and_keeps_its_settings() -> None:
    a = MemoryStore(name="fallback", default_ttl=5, max_turns=3, degraded=True, reason="down")
    b = MemoryStore()
    a.set("k", "a")
    a.thread_create("t", {"tool_name": "chat"}, 100)
    assert (b.get("k"), b.thread_read("t"), b.thread_count()) == (None, (None, []), 0)
    assert (a.kind, a.name, a.prefix, a.default_ttl, a.max_turns) == (
        "memory",
        "fallback",
        "",
        5,
        3,
    )
    assert (a.degraded, a.reason, b.degraded, b.reason) == (True, "down", False, None)


def test_appends_from_many_threads_are_each_one_step() -> None:
    store = MemoryStore()
    store.thread_create("t", {"tool_name": "chat"}, 100)
    counts: list[int] = []

    def work(n: int) -> None:
        counts.extend(store.thread_append("t", f"{n}-{i}", "u", 100, 250) for i in range(40))

    workers = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(c for c in counts if c > 0) == list(range(1, 251))
    assert counts.count(THREAD_FULL) == 8 * 40 - 250
    assert len(set(store.thread_read("t")[1])) == 250


@pytest.mark.parametrize(("given", "kept"), [(None, None), (0, None), (-3, None), (7, 7)])
def test_thread_ttl_rule(given: int | None, kept: int | None) -> None:
    assert memory._ttl(given) == kept
