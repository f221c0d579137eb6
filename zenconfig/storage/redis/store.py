"""The Redis store: the thread scripts and key/value calls on a project's client."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from ..base import MergeResult, ThreadRecord, ThreadRow, meta_key, turns_key
from .classify import translate

APPEND = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('LLEN', KEYS[2]) >= tonumber(ARGV[3]) then return -2 end
local n = redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'last_updated_at', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return n
"""
CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""
F = TypeVar("F", bound=Callable[..., Any])
GLOB_SPECIAL = str.maketrans({c: "\\" + c for c in "*?[]\\"})


def _translated(method: F) -> F:
    """Redis errors of a store call become ours (StorageUnavailableError, ...)."""

    @functools.wraps(method)
    def wrapper(self: RedisStore, *args: Any, **kwargs: Any) -> Any:
        import redis.exceptions as rex

        try:
            return method(self, *args, **kwargs)
        except rex.RedisError as e:
            raise translate(e, self.name, self.prefix) from e

    return wrapper  # type: ignore[return-value]


class RedisStore:
    kind = "redis"

    def __init__(
        self, client: Any, *, name: str, prefix: str, default_ttl: int, max_turns: int
    ) -> None:
        self.client = client
        self.name = name
        self.prefix = prefix
        self.default_ttl = default_ttl
        self.max_turns = max_turns
        self.degraded = False
        self.selection: Any = None
        self._append = client.register_script(APPEND)
        self._create = client.register_script(CREATE)

    def _k(self, key: str) -> str:
        return self.prefix + key

    @_translated
    def get(self, key: str) -> str | None:
        value = self.client.get(self._k(key))
        return value if value is None or isinstance(value, str) else str(value)

    @_translated
    def set_with_ttl(self, key: str, ttl: int, value: str) -> None:
        self.client.set(self._k(key), value, ex=int(ttl))

    def setex(self, key: str, ttl: int, value: str) -> None:
        self.set_with_ttl(key, ttl, value)

    @_translated
    def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        if len(keys) == 1:
            return int(self.client.delete(self._k(keys[0])))
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.delete(self._k(key))
        return sum(int(n) for n in pipe.execute())

    @_translated
    def exists(self, key: str) -> bool:
        return bool(self.client.exists(self._k(key)))

    @_translated
    def ttl(self, key: str) -> int:
        return int(self.client.ttl(self._k(key)))

    def scan(self, match: str = "*") -> Iterator[str]:
        pattern = self.prefix.translate(GLOB_SPECIAL) + match
        cut = len(self.prefix)
        for key in self.client.scan_iter(match=pattern, count=500):
            yield key[cut:]

    @_translated
    def ping(self) -> float:
        started = time.perf_counter()
        self.client.ping()
        return time.perf_counter() - started

    def close(self) -> None:
        """Keep the shared pool for the rest of the process; see ``close_all``."""

    @_translated
    def thread_create(self, thread_id: str, meta: dict[str, str], ttl: int) -> bool:
        flat = [item for pair in meta.items() for item in pair]
        return bool(self._create(keys=[self._k(meta_key(thread_id))], args=[int(ttl), *flat]))

    def thread_append(
        self, thread_id: str, turn: str, updated_at: str, ttl: int, max_turns: int
    ) -> int:
        keys = [self._k(meta_key(thread_id)), self._k(turns_key(thread_id))]
        return int(self._append(keys=keys, args=[turn, int(ttl), int(max_turns), updated_at]))

    @_translated
    def thread_read(self, thread_id: str) -> tuple[dict[str, str] | None, list[str]]:
        pipe = self.client.pipeline(transaction=False)  # one round trip
        pipe.hgetall(self._k(meta_key(thread_id)))
        pipe.lrange(self._k(turns_key(thread_id)), 0, -1)
        meta, turns = pipe.execute()
        return (meta or None), list(turns)

    def thread_delete(self, thread_id: str) -> bool:
        return self.delete(meta_key(thread_id), turns_key(thread_id)) > 0

    # -- not yet implemented (Store v2: merge, index, batches) -------------------

    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        raise NotImplementedError

    def thread_merge(
        self, thread_id: str, meta: dict[str, str], turns: Sequence[str], ttl: int, max_turns: int
    ) -> MergeResult:
        raise NotImplementedError

    def thread_list(
        self, limit: int = 50, since: float | None = None, tool: str | None = None
    ) -> list[ThreadRow]:
        raise NotImplementedError

    def thread_count(self) -> int:
        raise NotImplementedError

    def export_threads(self, batch: int = 500) -> Iterator[list[ThreadRecord]]:
        raise NotImplementedError

    def import_threads(self, records: Sequence[ThreadRecord], replace: bool) -> list[str]:
        raise NotImplementedError
