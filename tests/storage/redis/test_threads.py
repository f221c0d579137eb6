"""storage/redis/threads.py: timestamps as index scores, listing rows from raw replies,
listing pages past the first when filtering, SCAN batches, export records and import."""

from __future__ import annotations

import pytest

from tests import servers
from zenconfig import spec
from zenconfig.errors import ZenConfigError
from zenconfig.storage.base import INDEX_UPDATED, META_FIELDS, ThreadRecord, meta_key, turns_key
from zenconfig.storage.redis import threads
from zenconfig.storage.redis.contact import open_store
from zenconfig.storage.redis.store import RedisStore


def _stamp(i: int) -> str:
    return f"2024-01-01T00:{i // 60:02}:{i % 60:02}+00:00"


def test_epoch_reads_iso_stamps_and_refuses_the_rest() -> None:
    assert threads.epoch("2024-01-02T03:04:05+00:00") == 1704164645.0
    assert threads.epoch("2024-01-02T03:04:05.250000+01:00") == 1704164645.25 - 3600
    for bad in (None, "", "yesterday", "2024-13-01T00:00:00"):
        assert threads.epoch(bad) is None


def test_rows_from_real_replies(store: RedisStore) -> None:
    c, p = store.client, store.prefix
    c.hset(
        p + meta_key("ok"), mapping={"tool_name": "chat", "created_at": "c", "last_updated_at": "u"}
    )
    c.rpush(p + turns_key("ok"), "a", "b")
    c.hset(p + meta_key("thin"), mapping={"tool_name": "chat"})
    c.set(p + meta_key("string"), "not a hash")
    c.set(p + turns_key("thin"), "not a list")
    pipe = c.pipeline(transaction=False)
    for tid in ("ok", "thin", "string", "gone"):
        pipe.hmget(p + meta_key(tid), list(META_FIELDS))
        pipe.llen(p + turns_key(tid))
        pipe.ttl(p + meta_key(tid))
    replies = pipe.execute(raise_on_error=False)
    ok, thin, string, gone = (
        threads._row(t, 1.5, *replies[3 * i : 3 * i + 3])
        for i, t in enumerate(("ok", "thin", "string", "gone"))
    )
    assert ok is not None and (ok.tool_name, ok.turns, ok.ttl, ok.problem) == ("chat", 2, -1, None)
    assert ok.updated == 1.5 and (ok.created_at, ok.last_updated_at) == ("c", "u")
    assert thin is not None and thin.problem is not None
    assert thin.problem.startswith("unreadable turns: WRONGTYPE") and thin.turns == 0
    assert string is not None and string.problem is not None
    assert string.problem.startswith("unreadable meta: WRONGTYPE") and string.ttl == -1
    assert gone is None  # a stale index entry: no row
    row = threads._row("lacking", None, [b"lacking", None, None, None, None], 0, -1)
    assert row is not None and row.problem == "meta lacks tool_name, created_at, last_updated_at"


def test_listing_pages_on_for_a_tool_and_skips_stale_entries(store: RedisStore) -> None:
    records = [
        ThreadRecord(
            f"t{i:02}",
            {
                "tool_name": "rare" if i < 3 else "chat",
                "created_at": "c",
                "last_updated_at": _stamp(i),
            },
            [],
            600,
        )
        for i in range(40)
    ]
    store.import_threads(records, replace=False)
    found = threads.listing(store, 3, None, "rare")  # all three lie past the first page of 16
    assert [r.thread_id for r in found] == ["t02", "t01", "t00"]
    assert [r.updated for r in found] == [threads.epoch(_stamp(i)) for i in (2, 1, 0)]
    store.client.zadd(store.prefix + INDEX_UPDATED, {"ghost": 2e9})  # indexed, keys gone
    assert [r.thread_id for r in threads.listing(store, 2, None, None)] == ["t39", "t38"]
    since = threads.epoch(_stamp(37))
    assert [r.thread_id for r in threads.listing(store, 10, since, None)] == ["t39", "t38", "t37"]
    assert threads.listing(store, 0, None, None) == []


def test_scan_batches_and_export_records(store: RedisStore) -> None:
    for i in range(7):
        store.thread_create(f"e{i}", {"tool_name": "chat"}, 0 if i == 0 else 100)
        store.thread_append(f"e{i}", f"turn-{i}", "now", 0 if i == 0 else 100, 10)
    pages = list(threads.thread_pages(store, 3))
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sorted(t for p in pages for t in p) == [f"e{i}" for i in range(7)]
    store.client.pexpire(store.prefix + meta_key("e1"), 2400)
    store.client.pexpire(store.prefix + meta_key("e3"), 300)
    records = {r.thread_id: r for r in threads._records(store, ["e0", "e1", "gone", "e2", "e3"])}
    assert list(records) == ["e0", "e1", "e2", "e3"]  # one gone since the scan is left out
    assert records["e0"].ttl is None
    assert records["e1"].ttl == 2  # to the nearest second (2.4 s, less what the read took)
    assert records["e3"].ttl == 1  # never 0, which would read as no expiry
    assert records["e2"].turns == ["turn-2"] and records["e2"].meta["tool_name"] == "chat"
    exported = [r.thread_id for batch in threads.export(store, 4) for r in batch]
    assert sorted(exported) == [f"e{i}" for i in range(7)]


def test_import_raises_what_is_not_a_refusal(auth_server: servers.Server) -> None:
    conn = spec.connection(
        "p", {"port": auth_server.port, "username": "alice", "key_prefix": "zen:bob:"}
    )
    store = open_store(conn, "alice-pw")
    with pytest.raises(ZenConfigError) as caught:  # an ACL denial: not "refused", raised
        threads.import_(store, [ThreadRecord("t", {"tool_name": "c"}, ["x"], 60)], False)
    assert caught.value.message.startswith("the Redis ACL denies project 'p' (prefix 'zen:bob:')")
