"""Lua scripts that apply one command to many keys of one server in one call.

A page of a copy is thousands of keys: one script per node and step costs a
round trip and a few microseconds per key, where a pipeline costs a client
round of packing and parsing per command. The keys are passed as ARGV (names
are binary-safe; nothing is cut, so no byte/character question arises) and
must all live on the node the script runs on (in a Cluster, the caller groups
keys by node; scripts without flags may touch several local slots). Per-key
outcomes come back as one string of codes, one character per key.

A script that fails halfway has done its first writes: the copy protocol
only ever writes staging names here, which it removes on failure or resume.
"""

from __future__ import annotations

# ARGV: names -> '1' (exists) / '0' per name
EXISTS = """
local out = {}
for i = 1, #ARGV do out[i] = redis.call('EXISTS', ARGV[i]) == 1 and '1' or '0' end
return table.concat(out)
"""

# ARGV: names -> {pttl, payload or false, ...}
DUMP = """
local out = {}
for i = 1, #ARGV do
  out[2 * i - 1] = redis.call('PTTL', ARGV[i])
  out[2 * i] = redis.call('DUMP', ARGV[i])
end
return out
"""

# ARGV: names -> how many existed (one DEL each: a Cluster node refuses a DEL across slots)
DELETE = """
local n = 0
for i = 1, #ARGV do n = n + redis.call('DEL', ARGV[i]) end
return n
"""

# ARGV: target db ('' for this one), then source, destination pairs -> '1' copied / '0' gone
COPY = """
local out, db = {}, ARGV[1]
for i = 2, #ARGV, 2 do
  local done
  if db == '' then
    done = redis.call('COPY', ARGV[i], ARGV[i + 1])
  else
    done = redis.call('COPY', ARGV[i], ARGV[i + 1], 'DB', db)
  end
  out[#out + 1] = done == 1 and '1' or '0'
end
return table.concat(out)
"""

# ARGV: name, ttl (ms, 0 none), payload triples -> number restored
RESTORE = """
for i = 1, #ARGV, 3 do redis.call('RESTORE', ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
return #ARGV / 3
"""

# ARGV: '1' to replace, this page's receipt name ('' none), the previous page's ('' none),
# then staging, final pairs -> per pair '1' renamed into place, '2' renamed over an
# existing key, '0' kept (the final name was taken: the staged copy is dropped), 'x'
# staged key gone. The receipt notes "copied kept replaced gone" in the same step.
RENAME = """
local out, replace, n = {}, ARGV[1] == '1', {0, 0, 0, 0}
if ARGV[3] ~= '' then redis.call('DEL', ARGV[3]) end
for i = 4, #ARGV, 2 do
  local existed = replace and redis.call('EXISTS', ARGV[i + 1]) == 1
  local done = redis.pcall(replace and 'RENAME' or 'RENAMENX', ARGV[i], ARGV[i + 1])
  local code
  if type(done) == 'table' and done.err then
    if not string.find(done.err, 'no such key') then return redis.error_reply(done.err) end
    code, n[4] = 'x', n[4] + 1
  elseif existed then
    code, n[1], n[3] = '2', n[1] + 1, n[3] + 1
  elseif replace or done == 1 then
    code, n[1] = '1', n[1] + 1
  else
    redis.call('DEL', ARGV[i])
    code, n[2] = '0', n[2] + 1
  end
  out[#out + 1] = code
end
if ARGV[2] ~= '' then redis.call('SET', ARGV[2], table.concat(n, ' ')) end
return table.concat(out)
"""

NAMES = ("EXISTS", "DUMP", "DELETE", "COPY", "RESTORE", "RENAME")
