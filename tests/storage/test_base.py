"""zenconfig.storage.base: key names byte-correct for any id and prefix; ttls; meta checks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests import servers
from zenconfig import spec
from zenconfig.errors import ZenConfigError
from zenconfig.storage import base, records
from zenconfig.storage.base import (
    Store,
    key_ttl,
    lacking_meta,
    meta_key,
    thread_id_of,
    thread_ids,
    turns_key,
)
from zenconfig.storage.memory import MemoryStore

CODEC = ("utf-8", "surrogateescape")
# ids as a store can meet them: non-ASCII, a byte that is not UTF-8 (as the Redis store
# decodes it), braces and the layout's own suffix inside the id
ODD_IDS = ["é-1", "🧵", "raw\udce9", "a}:meta", "{x}", ""]


@pytest.mark.parametrize("ttl", [0, -1, True, False, 0.5])
def test_key_ttl_refuses_what_is_not_a_positive_number_of_seconds(ttl: object) -> None:
    with pytest.raises(ZenConfigError) as e:
        key_ttl(ttl)  # type: ignore[arg-type]
    assert e.value.message == f"a ttl must be a positive number of seconds, not {ttl}"


def test_key_ttl_none_is_no_expiry_and_seconds_are_whole() -> None:
    assert key_ttl(None) is None
    assert key_ttl(1) == 1
    assert key_ttl(3600) == 3600


def test_lacking_meta_names_what_is_missing_in_order() -> None:
    full = {"tool_name": "chat", "created_at": "c", "last_updated_at": "u"}
    assert lacking_meta(full) is None
    assert lacking_meta({}) == "meta lacks tool_name, created_at, last_updated_at"
    assert lacking_meta({"created_at": "c", "extra": "x"}) == (
        "meta lacks tool_name, last_updated_at"
    )


@pytest.mark.parametrize("tid", ODD_IDS)
def test_keys_are_the_id_byte_for_byte_and_thread_id_of_inverts_them(tid: str) -> None:
    raw = tid.encode(*CODEC)
    assert meta_key(tid).encode(*CODEC) == b"thread:{" + raw + b"}:meta"
    assert turns_key(tid).encode(*CODEC) == b"thread:{" + raw + b"}:turns"
    assert thread_id_of(meta_key(tid)) == tid
    assert thread_id_of(turns_key(tid)) is None


@pytest.mark.parametrize(
    "key",
    ["thread:abc", "thread:{abc}:metadata", "p:thread:{abc}:meta", "thread:{abc}:meta ", "x"],
)
def test_thread_id_of_only_reads_relative_meta_keys(key: str) -> None:
    assert thread_id_of(key) is None


def test_thread_ids_skips_keys_that_are_not_a_threads_meta() -> None:
    store = MemoryStore()
    for tid in ODD_IDS:
        assert store.thread_create(tid, {"tool_name": "chat"}, 100)
    store.thread_append("🧵", "turn", "u", 100, 10)  # a turns key beside the meta
    store.set("thread:{plain}:other", "v")
    store.set("thread:zen-style", "v")
    assert sorted(thread_ids(store)) == sorted(ODD_IDS)


@pytest.fixture
def odd_prefix_store(redis_server: servers.Server) -> Iterator[Store]:
    from zenconfig.storage import redis as redis_backend

    prefix = f"zt:é{uuid.uuid4().hex[:8]}🧵:"
    store = redis_backend.open_store(
        spec.connection("odd", {"port": redis_server.port, "key_prefix": prefix}), None
    )
    yield store
    leftover = list(store.scan("*"))
    if leftover:
        store.delete(*leftover)


def test_non_ascii_prefix_and_ids_reach_redis_byte_for_byte(
    odd_prefix_store: Store, redis_server: servers.Server
) -> None:
    import redis

    store, prefix = odd_prefix_store, odd_prefix_store.prefix
    ids = ODD_IDS
    for tid in ids:
        assert store.thread_create(tid, {"tool_name": "chat"}, 100)
    assert sorted(thread_ids(store)) == sorted(ids)
    client = redis.Redis(port=redis_server.port)
    try:
        stored = set(client.keys(prefix.encode(*CODEC) + b"thread:*"))
    finally:
        client.close()
    assert stored == {(prefix + meta_key(tid)).encode(*CODEC) for tid in ids}


def test_records_load_lazily_through_base() -> None:
    assert base.ThreadRecord is records.ThreadRecord
    assert base.MergeResult is records.MergeResult
    with pytest.raises(AttributeError, match="has no attribute 'Nothing'"):
        _ = base.Nothing  # type: ignore[attr-defined]
