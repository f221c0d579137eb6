"""The Lua scripts of the Redis store: each thread write is one atomic step.

``KEYS[1]`` is a thread's meta hash and ``KEYS[2]`` its turns list (one slot,
see ``base.meta_key``). Outside Cluster, ``KEYS[3]`` and ``KEYS[4]`` are the
project's thread index (a sorted set by last update) and its expiry index (by
expiry time), kept in the same step. In Cluster, where a script may touch one
slot only, the store runs ``INDEX`` / ``UNINDEX`` on the index's own slot right
after the thread's script (docs/architecture.md, "Thread index").

Scripts never cut key names (no byte/character question arises) and their
first write is the first command that may need memory: an out-of-memory
server refuses the whole script before it changes anything, and once a script
has written, Redis lets it finish, so a thread is never half-written.
Time is the server's (``TIME``). A ``ttl`` <= 0 means no expiry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

INDEXING = """
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function index(first, id, score, ttl, at)
  if #KEYS < first + 1 then return end
  local updated, expiry = KEYS[first], KEYS[first + 1]
  redis.call('ZADD', updated, score, id)
  if ttl > 0 then
    redis.call('ZADD', expiry, at + ttl, id)
  else
    redis.call('ZREM', expiry, id)
  end
  -- prune a few expired threads per write: amortised, never a long step
  local stale = redis.call('ZRANGEBYSCORE', expiry, '-inf', at, 'LIMIT', 0, 4)
  for _, old in ipairs(stale) do
    if old ~= id then
      redis.call('ZREM', updated, old)
      redis.call('ZREM', expiry, old)
    end
  end
end
local function expire(ttl)
  for i = 1, 2 do
    if ttl > 0 then redis.call('EXPIRE', KEYS[i], ttl) else redis.call('PERSIST', KEYS[i]) end
  end
end
local function push(list, items)
  for i = 1, #items, 500 do
    redis.call('RPUSH', list, unpack(items, i, math.min(i + 499, #items)))
  end
end
"""

# ARGV: id, ttl, meta pairs...
CREATE = (
    INDEXING
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local ttl = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
expire(ttl)
local at = now()
index(3, ARGV[1], at, ttl, at)
return 1
"""
)

# ARGV: id, turn, ttl, max_turns, updated_at
APPEND = (
    INDEXING
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('LLEN', KEYS[2]) >= tonumber(ARGV[4]) then return -2 end
local n = redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'last_updated_at', ARGV[5])
local ttl = tonumber(ARGV[3])
expire(ttl)
local at = now()
index(3, ARGV[1], at, ttl, at)
return n
"""
)

# ARGV: id, ttl, max_turns, then, for a merge after the writer's n stored turns
# (``Store.thread_merge``'s ``after``), n, the first and the n-th turn (else '', '', ''),
# then the number of meta items, the meta pairs, the turns: nothing for Lua to parse.
# A thread no longer beginning with the writer's n turns: {-1, 0, 0, 0}
MERGE = (
    INDEXING
    + """
local id, ttl, max = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local base, nmeta = tonumber(ARGV[4]), tonumber(ARGV[7])
local created = redis.call('EXISTS', KEYS[1]) == 0
local total, stored = 0, {}
if base then
  total = redis.call('LLEN', KEYS[2])
  local moved = created or total < base
  if not moved and base > 0 then
    moved = redis.call('LINDEX', KEYS[2], 0) ~= ARGV[5]
      or redis.call('LINDEX', KEYS[2], base - 1) ~= ARGV[6]
  end
  if moved then return {-1, 0, 0, 0} end
  if total > base then stored = redis.call('LRANGE', KEYS[2], base, -1) end
else
  stored = redis.call('LRANGE', KEYS[2], 0, -1)
  total = #stored
end
local seen = {}
for _, t in ipairs(stored) do seen[t] = (seen[t] or 0) + 1 end
local had, new, refused = total, {}, 0
for i = 8 + nmeta, #ARGV do
  local t = ARGV[i]
  local left = seen[t]
  if left and left > 0 then
    seen[t] = left - 1
  elseif total < max then
    total = total + 1
    new[#new + 1] = t
  else
    refused = refused + 1
  end
end
-- a write that does not fit is refused whole: no turn, no meta, no expiry refreshed
if refused > 0 then return {0, 0, #new + refused, had} end
if created then redis.call('HSET', KEYS[1], 'thread_id', id) end
if nmeta > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 8, 7 + nmeta)) end
push(KEYS[2], new)
expire(ttl)
local at = now()
index(3, id, at, ttl, at)
return {created and 1 or 0, #new, refused, total}
"""
)

# ARGV: id
DELETE = (
    INDEXING
    + """
local n = redis.call('DEL', KEYS[1], KEYS[2])
if #KEYS >= 4 then
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('ZREM', KEYS[4], ARGV[1])
end
return n
"""
)

# ARGV: id, ttl, score ('' = now), replace ('1'), n (items of meta pairs), meta pairs..., turns...
IMPORT = (
    INDEXING
    + """
local id, ttl, nmeta = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[5])
local existed = redis.call('EXISTS', KEYS[1]) == 1
if existed and ARGV[4] ~= '1' then return 'skipped' end
if existed or redis.call('EXISTS', KEYS[2]) == 1 then redis.call('DEL', KEYS[1], KEYS[2]) end
redis.call('HSET', KEYS[1], unpack(ARGV, 6, 5 + nmeta))
local turns = {}
for i = 6 + nmeta, #ARGV do turns[#turns + 1] = ARGV[i] end
push(KEYS[2], turns)
expire(ttl)
local at = now()
index(3, id, tonumber(ARGV[3]) or at, ttl, at)
if existed then return 'replaced' end
return 'imported'
"""
)

# The index alone (Cluster, reindex). KEYS: updated, expiry. ARGV: id, score ('' = now), ttl
INDEX = (
    INDEXING
    + """
local at = now()
index(1, ARGV[1], tonumber(ARGV[2]) or at, tonumber(ARGV[3]), at)
return 1
"""
)

# KEYS: updated, expiry. ARGV: id
UNINDEX = """
redis.call('ZREM', KEYS[1], ARGV[1])
return redis.call('ZREM', KEYS[2], ARGV[1])
"""

# KEYS: updated, expiry. Threads indexed and not yet expired.
COUNT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
return redis.call('ZCARD', KEYS[1]) - redis.call('ZCOUNT', KEYS[2], '-inf', now)
"""

# -- bulk upkeep: delete, purge and reindex many threads (see ``upkeep``) --------------

# KEYS: meta, turns (+ updated, expiry outside Cluster). ARGV: id, check ('1'), expected
# last_updated_at. Deletes the thread unless ``check`` and it was written since listed.
DELETE_IF = """
if ARGV[2] == '1' then
  local ok, stamp = pcall(redis.call, 'HGET', KEYS[1], 'last_updated_at')
  if not ok or not stamp then stamp = '' end
  if stamp ~= ARGV[3] and redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
end
local n = redis.call('DEL', KEYS[1], KEYS[2])
if #KEYS >= 4 then
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('ZREM', KEYS[4], ARGV[1])
end
return n
"""

# KEYS: updated, expiry. ARGV: ids. Index entries of threads deleted (Cluster).
UNINDEX_MANY = """
for i = 1, #ARGV, 500 do
  local last = math.min(i + 499, #ARGV)
  redis.call('ZREM', KEYS[1], unpack(ARGV, i, last))
  redis.call('ZREM', KEYS[2], unpack(ARGV, i, last))
end
return #ARGV
"""

# KEYS: updated, expiry. ARGV: triples id, score ('' = now), ttl. Indexes threads found
# by a reindex: a thread already indexed keeps its place (NX), every expiry is set.
INDEX_MANY = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
for i = 1, #ARGV, 3 do
  local id, ttl = ARGV[i], tonumber(ARGV[i + 2])
  redis.call('ZADD', KEYS[1], 'NX', tonumber(ARGV[i + 1]) or now, id)
  if ttl > 0 then
    redis.call('ZADD', KEYS[2], now + ttl, id)
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
return #ARGV / 3
"""

# KEYS: updated, expiry, then a meta key per id. ARGV: the ids. Drops the index entries
# of threads that are gone, checked in the same step (standalone and Sentinel only).
UNINDEX_GONE = """
local gone = 0
for i = 1, #ARGV do
  if redis.call('EXISTS', KEYS[2 + i]) == 0 then
    redis.call('ZREM', KEYS[1], ARGV[i])
    redis.call('ZREM', KEYS[2], ARGV[i])
    gone = gone + 1
  end
end
return gone
"""

NAMES = (
    "CREATE",
    "APPEND",
    "MERGE",
    "DELETE",
    "IMPORT",
    "INDEX",
    "UNINDEX",
)


def runner(client: Any, body: str, cluster: bool) -> Any:
    """How a script runs. Standalone: the first call of this process sends the body
    (EVAL: one round trip, and the server keeps the script), later calls EVALSHA on
    one pooled connection (``client.replies``); a server that lost the script answers
    NOSCRIPT, which means it did not run, so sending the body then is safe. Pipelines
    go through redis-py's ``Script``. Cluster: plain EVAL always (a Cluster client
    loads a missing script on every primary at once, so one stopped node would fail
    the writes of every other)."""
    default = client

    def run(keys: Sequence[Any] = (), args: Sequence[Any] = (), client: Any = None) -> Any:
        return (client or default).eval(body, len(keys), *keys, *args)

    if cluster:
        return run
    from redis.exceptions import NoScriptError

    from .client import replies

    script = client.register_script(body)
    sent = [False]

    def standalone(keys: Sequence[Any] = (), args: Sequence[Any] = (), client: Any = None) -> Any:
        if client is not None:
            return script(keys=keys, args=args, client=client)
        if sent[0]:
            try:
                return replies(default, ("EVALSHA", script.sha, len(keys), *keys, *args))[0]
            except NoScriptError:
                pass
        sent[0] = True  # before the call: whatever its outcome, the body went out once
        return replies(default, ("EVAL", body, len(keys), *keys, *args))[0]

    return standalone
