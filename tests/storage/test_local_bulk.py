"""zenconfig.storage.local_bulk: meta columns, Redis globs, scan pages, count, export, import."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests import servers
from tests.storage.locals import expire, store_fixture  # noqa: F401
from zenconfig import spec
from zenconfig.storage import local_bulk
from zenconfig.storage.base import Store, meta_key, turns_key
from zenconfig.storage.local_bulk import (
    _stamp,
    join_meta,
    literal_prefix,
    split_meta,
    thread_key,
)
from zenconfig.storage.local_store import LocalStore
from zenconfig.storage.records import ThreadRecord


def test_meta_columns_and_extra_json_round_trip() -> None:
    meta = {
        "thread_id": "t",
        "tool_name": "chat",
        "created_at": "c",
        "last_updated_at": "u",
        "note": "é🧵",
    }
    tool, created, updated, extra = split_meta(meta)
    assert (tool, created, updated) == ("chat", "c", "u")
    assert extra == '{"thread_id":"t","note":"é🧵"}'  # compact, UTF-8 kept
    assert join_meta(tool, created, updated, extra) == meta
    assert split_meta({"tool_name": "x"}) == ("x", None, None, "{}")
    assert join_meta(None, None, None, "{}") == {}  # absent columns stay absent


def test_thread_key_and_literal_prefix() -> None:
    assert thread_key(meta_key("a}b")) == ("a}b", "meta")
    assert thread_key(turns_key("é")) == ("é", "turns")
    assert thread_key("thread:{a}:other") is None and thread_key("x:thread:{a}:meta") is None
    assert [literal_prefix(p) for p in ("abc*", "a?c", "a[b]", "a\\*", "abc", "")] == [
        "abc",
        "a",
        "a",
        "a",
        "abc",
        "",
    ]


# -- scan: the same answers as Redis SCAN MATCH ------------------------------------------

KEYS = ["abc", "acc", "adc", "aXc", "a*c", "a.c", "a\\c", "a]c", "a-c", "a^c", "ac", "abbc"]
KEYS += ["a\nc", "é", "x", "[x]", "ab+", "a(b)"]


@pytest.fixture
def both(store: LocalStore, redis_server: servers.Server) -> Iterator[tuple[LocalStore, Store]]:
    from zenconfig.storage import redis as redis_backend

    prefix = f"zt:{uuid.uuid4().hex[:10]}:"
    theirs = redis_backend.open_store(
        spec.connection("glob", {"port": redis_server.port, "key_prefix": prefix}), None
    )
    for key in KEYS:
        store.set(key, "v")
        theirs.set(key, "v", ttl=60)
    yield store, theirs
    theirs.delete(*KEYS)


@pytest.mark.parametrize(
    "pattern",
    [
        "*",
        "a?c",
        "a[bc]c",
        "a[^b]c",
        "a[b-d]c",
        "a[-b]c",
        "a\\*c",
        "a*c",
        "*c",
        "a]c",
        "[[]x]",
        "a.c",
        "a\\\\c",
        "a[\\-]c",
        "a[*]c",
        "ab+",
        "a(b)",
        "a[^-]c",
    ],
)
def test_scan_matches_as_redis_does(both: tuple[LocalStore, Store], pattern: str) -> None:
    mine, theirs = both
    assert sorted(mine.scan(pattern)) == sorted(theirs.scan(pattern))


@pytest.mark.parametrize("pattern", ["a[d-b]c", "a[\\]]c", "a[]c", "a[^]c", "[a-c]?c"])
def test_reversed_ranges_and_escapes_in_classes_read_as_redis_reads_them(
    both: tuple[LocalStore, Store], pattern: str
) -> None:
    mine, theirs = both
    assert sorted(mine.scan(pattern)) == sorted(theirs.scan(pattern))


def test_a_question_mark_is_one_character_not_one_byte(both: tuple[LocalStore, Store]) -> None:
    """The documented difference (storage/keyglob.py): keys here are text."""
    mine, theirs = both
    assert "é" in list(mine.scan("?"))
    assert "é" not in list(theirs.scan("?"))


def test_scan_shows_live_thread_keys_beside_plain_keys(store: LocalStore) -> None:
    for tid in ("aa", "ab", "b"):
        store.thread_create(tid, {"tool_name": "chat"}, 100)
    store.thread_append("ab", "turn", "u", 100, 10)
    store.set("thread:{ax}:note", "v")  # a plain key that looks like the layout
    store.thread_create("ay", {"tool_name": "chat"}, 100)
    expire(store, "ay")
    assert sorted(store.scan("thread:{a*")) == [
        meta_key("aa"),
        meta_key("ab"),
        turns_key("ab"),
        "thread:{ax}:note",
    ]
    assert list(store.scan("thread:*:turns")) == [turns_key("ab")]
    assert sorted(store.scan("th*")) == sorted(store.scan("thread:*"))
    assert list(store.scan("x*")) == []


def test_scan_finds_a_thread_by_its_exact_keys(store: LocalStore) -> None:
    store.thread_create("ab", {"tool_name": "chat"}, 100)
    store.thread_append("ab", "turn", "u", 100, 10)
    assert list(store.scan(meta_key("ab"))) == [meta_key("ab")]
    assert sorted(store.scan("thread:{ab}:*")) == [meta_key("ab"), turns_key("ab")]


def test_scan_pages_stop_at_the_end_of_the_literal_part(store: LocalStore) -> None:
    names = [f"p:{i:05d}" for i in range(local_bulk.PAGE + 150)]
    with store.db.write() as conn:
        conn.executemany("INSERT INTO kv (key, value) VALUES (?, 'v')", [(n,) for n in names])
        conn.executemany("INSERT INTO kv (key, value) VALUES (?, 'v')", [("o",), ("q:1",)])
    assert list(store.scan("p:*")) == names  # in key order, across pages
    assert list(store.scan("p:0100?")) == [f"p:0100{i}" for i in range(10)]


def test_count_and_export_leave_out_expired_rows_not_yet_purged(store: LocalStore) -> None:
    for i in range(5):
        store.thread_merge(f"t{i}", {"tool_name": "chat", "x": "é"}, [f"a{i}", f"b{i}"], 100, 10)
    store.import_threads([ThreadRecord("forever", {"tool_name": "chat"}, [], None)], False)
    expire(store, "t1", "t3")
    assert store.thread_count() == 4
    batches = list(store.export_threads(batch=0))  # at least one thread a batch
    assert [[r.thread_id for r in b] for b in batches] == [["forever"], ["t0"], ["t2"], ["t4"]]
    t2 = batches[2][0]
    assert t2.turns == ["a2", "b2"] and (t2.meta["x"], t2.meta["thread_id"]) == ("é", "t2")
    assert t2.ttl is not None and 95 <= t2.ttl <= 100 and batches[0][0].ttl is None


def test_import_in_chunks_each_record_whole(store: LocalStore) -> None:
    count = local_bulk.IMPORT_CHUNK + 5
    records = [ThreadRecord(f"i{n:04d}", {"tool_name": "c"}, [f"x{n}"], 100) for n in range(count)]
    again = ThreadRecord("i0000", {"tool_name": "new"}, ["y", "z"], None)
    assert store.import_threads([*records, again], replace=False) == ["imported"] * count + [
        "skipped"
    ]
    assert store.import_threads([again], replace=True) == ["replaced"]
    assert store.thread_read("i0000") == ({"tool_name": "new"}, ["y", "z"])
    assert store.thread_count() == count
    expire(store, "i0001")
    assert store.import_threads([records[1]], replace=False) == ["imported"]  # expired: free


@pytest.mark.parametrize(
    ("meta", "placed"),
    [
        ({"last_updated_at": "2020-01-02T03:04:05+00:00"}, "stamp"),
        ({"last_updated_at": "garbage"}, "now"),
        ({"last_updated_at": None}, "now"),
        ({}, "now"),
    ],
)
def test_an_imported_thread_is_placed_by_its_last_update(meta: dict, placed: str) -> None:
    now = 1_700_000_000.0
    stamp = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
    assert _stamp(meta, now) == (stamp if placed == "stamp" else now)
