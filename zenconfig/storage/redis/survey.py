"""``thread_survey`` on Redis: one script on the index slot for the counts and
extents, then turns and ``MEMORY USAGE`` of a uniform sample (``ZRANDMEMBER``)
or of every indexed thread (by rank), pipelined a page at a time.

The script reads the server's clock once, skips index entries already past
their expiry (the index prunes them a few at a time), and returns scores as
text so no precision is lost. A sample of 1,000 costs two round trips
whatever the project holds.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..base import ThreadSurvey, meta_key, turns_key
from . import scripts
from .client import text

if TYPE_CHECKING:
    from .store import RedisStore

PAGE = 500

# KEYS: updated, expiry. {live threads, newest, oldest, first expiry, last expiry,
# threads that expire, now}; times as text, false when there is none.
SURVEY = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local after = '(' .. string.format('%.6f', now)
local function live(entries)
  for i = 1, #entries, 2 do
    local expires = redis.call('ZSCORE', KEYS[2], entries[i])
    if not expires or tonumber(expires) > now then return entries[i + 1] end
  end
  return false
end
local count = redis.call('ZCARD', KEYS[1]) - redis.call('ZCOUNT', KEYS[2], '-inf', now)
local newest = live(redis.call('ZREVRANGE', KEYS[1], 0, 63, 'WITHSCORES'))
local oldest = live(redis.call('ZRANGE', KEYS[1], 0, 63, 'WITHSCORES'))
local first = redis.call('ZRANGEBYSCORE', KEYS[2], after, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
local last = redis.call('ZREVRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local expiring = redis.call('ZCOUNT', KEYS[2], after, '+inf')
return {count, newest, oldest, first[2] or false, last[2] or false, expiring,
        string.format('%.6f', now)}
"""


def _number(value: Any) -> float | None:
    return None if value is None else float(text(value))


def _measure(store: RedisStore, ids: list[str], found: ThreadSurvey) -> int:
    """Add each id's turns and bytes to ``found``; how many were live."""

    def read() -> list[Any]:
        pipe = store.client.pipeline(transaction=False)
        for tid in ids:
            pipe.llen(store.prefix + turns_key(tid))
            pipe.memory_usage(store.prefix + meta_key(tid))
            pipe.memory_usage(store.prefix + turns_key(tid))
        replies: list[Any] = pipe.execute(raise_on_error=False)
        return replies

    replies = store.call(read)
    counted = 0
    for i in range(len(ids)):
        turns, meta, listed = replies[3 * i : 3 * i + 3]
        if meta is None or isinstance(meta, Exception):
            continue  # gone since it was indexed, or not a thread's key
        turns = 0 if isinstance(turns, Exception) else int(turns)
        size = int(meta) + (int(listed) if isinstance(listed, int) else 0)
        found.add(turns, size)
        counted += 1
    return counted


def survey(
    store: RedisStore, sample: int | None, progress: Callable[..., None] | None
) -> ThreadSurvey:
    script = scripts.runner(store.client, SURVEY, store.cluster)
    reply = store.call(lambda: script(keys=store.index_keys()))
    count, newest, oldest, first, last, expiring, now = reply
    found = ThreadSurvey(threads=max(int(count), 0))
    found.newest, found.oldest = _number(newest), _number(oldest)
    clock = float(text(now))
    if first is not None:
        found.ttl_min = max(0, round(float(text(first)) - clock))
        found.ttl_max = max(0, round(float(text(last)) - clock))
    found.forever = max(found.threads - int(expiring), 0)
    updated = store.index_keys()[0]
    if sample is not None and sample < found.threads:
        picked = store.call(lambda: store.client.zrandmember(updated, sample))
        ids = [text(i) for i in picked or []]
        for start in range(0, len(ids), PAGE):
            _measure(store, ids[start : start + PAGE], found)
        return found
    start = 0
    while True:  # by rank: no entry twice (ZSCAN may repeat one)
        ids = [
            text(member)
            for member in store.call(
                functools.partial(store.client.zrange, updated, start, start + PAGE - 1)
            )
        ]
        done = _measure(store, ids, found) if ids else 0
        if progress is not None and ids:
            progress(done, total=found.threads)
        if len(ids) < PAGE:
            break
        start += PAGE
    return found
