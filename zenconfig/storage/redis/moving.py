"""Moving data between Redis projects (see ``zenconfig.transfer``): SCAN pages,
server-side COPY, MIGRATE, pipelined DUMP/RESTORE, MEMORY USAGE.

Key names are text as ``client.text`` decodes them (reversible), so they are
written back byte for byte; lengths handed to Lua are byte lengths."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from .classify import redis_errors
from .client import raw, text
from .store import GLOB_SPECIAL, RedisStore

F = TypeVar("F", bound=Callable[..., Any])


def _boundary(write: bool) -> Callable[[F], F]:
    """Redis errors of a moving step become ours (``write``: unknown when lost)."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(store: RedisStore, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(store, *args, **kwargs)
            except redis_errors() as e:
                raise store.error(e, write=write) from e

        return wrapper  # type: ignore[return-value]

    return wrap


def server_identity(store: RedisStore) -> tuple[Any, ...] | None:
    """(host, port) of a standalone server, to tell whether two stores share one."""
    kwargs = getattr(store.client, "connection_pool", None)
    if kwargs is None or store.client.__class__.__name__ != "Redis":
        return None
    conn = kwargs.connection_kwargs
    if "host" not in conn:  # Sentinel pools resolve the master per connection
        return None
    return conn["host"], conn["port"], conn.get("db", 0)


@_boundary(write=False)
def scan_page(store: RedisStore, cursor: int, count: int) -> tuple[int, list[str]]:
    """One SCAN step under the store's prefix: (next cursor, full key names)."""
    pattern = store.prefix.translate(GLOB_SPECIAL) + "*"
    next_cursor, keys = store.client.scan(cursor=cursor, match=pattern, count=count)
    return int(next_cursor), [text(k) for k in keys]


@_boundary(write=False)
def existing(store: RedisStore, keys: list[str]) -> list[bool]:
    pipe = store.client.pipeline(transaction=False)
    for key in keys:
        pipe.exists(key)
    return [bool(n) for n in pipe.execute()]


@_boundary(write=True)
def copy_listed(
    store: RedisStore, pairs: list[tuple[str, str]], replace: bool, target_db: int | None = None
) -> int:
    """Server-side COPY (value and TTL) of each listed (source, target) name."""
    pipe = store.client.pipeline(transaction=False)
    for src, dst in pairs:
        pipe.copy(src, dst, destination_db=target_db, replace=replace)
    return sum(bool(n) for n in pipe.execute())


@_boundary(write=False)
def dump_batch(store: RedisStore, keys: list[str]) -> list[tuple[str, int, bytes | None]]:
    """(key, pttl, DUMP payload) for each key, in one round trip."""
    pipe = store.client.pipeline(transaction=False)
    for key in keys:
        pipe.pttl(key)
        pipe.dump(key)
    replies = pipe.execute()
    return [(key, int(replies[2 * i]), replies[2 * i + 1]) for i, key in enumerate(keys)]


@_boundary(write=True)
def restore_batch(store: RedisStore, items: list[tuple[str, int, bytes]], replace: bool) -> int:
    """RESTORE each (target, pttl, payload) in one round trip; TTLs kept."""
    import redis.exceptions as rex

    pipe = store.client.pipeline(transaction=False)
    for key, pttl, payload in items:
        pipe.restore(key, max(pttl, 0), payload, replace=replace)
    done = 0
    for reply in pipe.execute(raise_on_error=False):
        if isinstance(reply, rex.ResponseError):
            if "BUSYKEY" in str(reply):
                continue
            raise reply
        done += 1
    return done


SCAN_COPY = """
local page = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])
local cut, new = tonumber(ARGV[4]) + 1, ARGV[5]
local names, taken, copied = {}, {}, 0
for _, key in ipairs(page[2]) do
  local args = {key, new .. string.sub(key, cut)}
  if ARGV[7] ~= '' then table.insert(args, 'DB'); table.insert(args, ARGV[7]) end
  if ARGV[6] == '1' then table.insert(args, 'REPLACE') end
  if redis.call('COPY', unpack(args)) == 1 then
    copied = copied + 1
    if ARGV[8] == 'names' then names[#names + 1] = args[2] end
  elseif ARGV[8] == 'names' then
    -- a run killed between COPY and MIGRATE left this very copy: move it on
    if ARGV[9] == 'adopt' and redis.call('DUMP', key) == redis.call('DUMP', args[2]) then
      copied = copied + 1
      names[#names + 1] = args[2]
    else
      taken[#taken + 1] = key
    end
  end
end
return {page[1], #page[2], copied, names, taken}
"""


@_boundary(write=True)
def copy_page(
    source: RedisStore,
    target: RedisStore,
    cursor: int,
    count: int,
    method: str,
    replace: bool,
    target_db: int | None = None,
    adopt: bool = False,
) -> tuple[int, int, int]:
    """One SCAN page copied server-side: (next cursor, keys scanned, keys copied).

    ``copy`` (one server): SCAN and COPY to the final names in one script.
    ``migrate`` (two servers): the same script COPYs to the final names on the
    source, then MIGRATE moves those copies server to server; the values never
    pass through this process. Names already taken on the source server go
    through DUMP/RESTORE instead, unless ``adopt`` (resuming a killed run) and
    the name holds an identical copy: that copy is the killed run's own, left
    between its COPY and MIGRATE, and is moved on.
    """
    import redis.exceptions as rex

    rename = method == "migrate"
    pattern = source.prefix.translate(GLOB_SPECIAL) + "*"
    args = [
        cursor,
        pattern,
        count,
        len(raw(source.prefix)),  # Lua cuts bytes
        target.prefix,
        "1" if replace and not rename else "0",
        "" if target_db is None or rename else str(target_db),
        "names" if rename else "count",
        "adopt" if adopt else "",
    ]
    next_cursor, scanned, copied, names, taken = source.client.eval(SCAN_COPY, 0, *args)
    names, taken = [text(n) for n in names], [text(t) for t in taken]
    if not rename:
        return int(next_cursor), int(scanned), int(copied)
    moved = 0
    if names:
        kwargs = target.client.connection_pool.connection_kwargs
        auth: list[Any] = []
        if kwargs.get("password"):
            auth = ["AUTH2", kwargs.get("username") or "default", kwargs["password"]]
        migrate = [kwargs["host"], kwargs["port"], "", kwargs.get("db", 0), 10000]
        if replace:
            migrate.append("REPLACE")
        try:
            source.client.execute_command("MIGRATE", *migrate, *auth, "KEYS", *names)
            moved = len(names)
        except rex.ResponseError as e:  # BUSYKEY: taken at the target, skipped
            left = int(source.client.delete(*names))  # the copies MIGRATE did not move
            if "BUSYKEY" not in str(e):
                raise
            moved = len(names) - left
    if taken:
        dumped = dump_batch(source, list(taken))
        cut = len(source.prefix)
        items = [(target.prefix + k[cut:], pttl, data) for k, pttl, data in dumped if data]
        moved += restore_batch(target, items, replace)
    return int(next_cursor), int(scanned), moved


@_boundary(write=False)
def memory_usage(store: RedisStore, keys: list[str]) -> int:
    pipe = store.client.pipeline(transaction=False)
    for key in keys:
        pipe.memory_usage(key)
    return sum(int(n or 0) for n in pipe.execute())
