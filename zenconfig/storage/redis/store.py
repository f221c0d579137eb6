"""The Redis store: key/value calls and the atomic thread scripts on a project's client.

Every redis-py exception becomes a zenconfig error here, at the boundary
(``classify.translate``), in generators and pipelines too. Values and keys
are decoded here (``client.text``). Listing, counting and moving many threads
live in ``threads``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ...errors import ZenConfigError
from ..base import (
    INDEX_EXPIRY,
    INDEX_UPDATED,
    After,
    MergeResult,
    ThreadRecord,
    ThreadRow,
    ThreadSurvey,
    key_ttl,
    meta_key,
    turns_key,
    unstorable,
)
from . import scripts
from .classify import redis_errors, translate
from .client import CODEC, raw, replies, text

if TYPE_CHECKING:
    from ...spec import ConnectionSpec as Connection

T = TypeVar("T")
GLOB_SPECIAL = str.maketrans({c: "\\" + c for c in "*?[]\\"})


class RedisStore:
    kind = "redis"

    def __init__(self, client: Any, conn: Connection) -> None:
        self.client = client
        self.spec = conn
        self.name = conn.name
        self.prefix = conn.key_prefix
        self.default_ttl = conn.conversation_ttl_seconds
        self.max_turns = conn.max_turns
        self.cluster = conn.mode == "cluster"
        self.index_misses = 0  # Cluster index updates that failed after their write
        self.index_checked = False  # whether a creating write looked at the index marker
        self.where = conn.address()
        self.degraded = False
        self.selection: Any = None
        self._scripts = {
            name: scripts.runner(client, getattr(scripts, name), self.cluster)
            for name in scripts.NAMES
        }
        self._count = scripts.runner(client, scripts.COUNT, self.cluster)

    # -- the boundary ------------------------------------------------------------

    def error(self, e: BaseException, write: bool = False) -> ZenConfigError:
        return translate(e, self.name, self.where, write=write, prefix=self.prefix)

    def call(self, fn: Callable[[], T], write: bool = False) -> T:
        """Run one client call; its errors become ours (``write``: unknown when lost)."""
        try:
            return fn()
        except redis_errors() as e:
            raise self.error(e, write) from e
        except UnicodeEncodeError as e:  # nothing was sent
            raise unstorable(e, self.name) from e

    def _k(self, key: str) -> str:
        return self.prefix + key

    def thread_keys(self, thread_id: str) -> list[str]:
        """The keys a thread script touches: the thread's, plus the index outside Cluster."""
        keys = [self._k(meta_key(thread_id)), self._k(turns_key(thread_id))]
        return keys if self.cluster else keys + self.index_keys()

    def index_keys(self) -> list[str]:
        return [self._k(INDEX_UPDATED), self._k(INDEX_EXPIRY)]

    def script(self, name: str, keys: list[str], args: list[Any], client: Any = None) -> Any:
        return self._scripts[name](keys=keys, args=args, client=client)

    def reindex_one(self, thread_id: str, ttl: int, score: float | None = None) -> None:
        """Cluster: the index update that follows a thread's script (idempotent).

        The thread's write has happened; if this update fails, the write is
        still reported as done and the index lags by one entry until
        ``thread_reindex`` (counted in ``index_misses``)."""
        if self.cluster:
            args = [thread_id, "" if score is None else score, int(ttl)]
            try:
                self.call(lambda: self.script("INDEX", self.index_keys(), args), write=True)
            except ZenConfigError:
                self.index_misses += 1

    # -- key/value -----------------------------------------------------------------

    def get(self, key: str) -> str | None:
        value = self.call(lambda: self.client.get(self._k(key)))
        return None if value is None else text(value)

    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        expiry = key_ttl(ttl)
        self.call(lambda: self.client.set(self._k(key), value, ex=expiry), write=True)

    def set_with_ttl(self, key: str, ttl: int, value: str) -> None:
        self.set(key, value, ttl)

    def setex(self, key: str, ttl: int, value: str) -> None:
        self.set(key, value, ttl)

    def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        if len(keys) == 1:
            return int(self.call(lambda: self.client.delete(self._k(keys[0])), write=True))

        def each() -> int:
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                pipe.delete(self._k(key))
            return sum(int(n) for n in pipe.execute())

        return self.call(each, write=True)

    def exists(self, key: str) -> bool:
        return bool(self.call(lambda: self.client.exists(self._k(key))))

    def ttl(self, key: str) -> int:
        return int(self.call(lambda: self.client.ttl(self._k(key))))

    def glob(self, match: str) -> str:
        """A SCAN pattern for ``match`` under this project's prefix (taken literally)."""
        return self.prefix.translate(GLOB_SPECIAL) + match

    def scan(self, match: str = "*") -> Iterator[str]:
        pattern = self.glob(match)
        cut = len(raw(self.prefix))
        try:
            for key in self.client.scan_iter(match=pattern, count=500):
                yield text(key[cut:])
        except redis_errors() as e:
            raise self.error(e) from e

    def ping(self) -> float:
        started = time.perf_counter()
        self.call(self.client.ping)
        return time.perf_counter() - started

    def close(self) -> None:
        """Keep the shared pool for the rest of the process; see ``close_all``."""

    # -- threads -----------------------------------------------------------------------

    def thread_create(self, thread_id: str, meta: dict[str, str], ttl: int) -> bool:
        flat = [item for pair in (meta or {"thread_id": thread_id}).items() for item in pair]
        keys = self.thread_keys(thread_id)
        done = bool(
            self.call(lambda: self.script("CREATE", keys, [thread_id, int(ttl), *flat]), True)
        )
        if done:
            self.reindex_one(thread_id, ttl)
            self._created(1)
        return done

    def thread_append(
        self, thread_id: str, turn: str, updated_at: str, ttl: int, max_turns: int
    ) -> int:
        keys = self.thread_keys(thread_id)
        args = [thread_id, turn, int(ttl), int(max_turns), updated_at]
        n = int(self.call(lambda: self.script("APPEND", keys, args), write=True))
        if n > 0:
            self.reindex_one(thread_id, ttl)
        return n

    def thread_merge(
        self,
        thread_id: str,
        meta: dict[str, str],
        turns: Sequence[str],
        ttl: int,
        max_turns: int,
        after: After | None = None,
    ) -> MergeResult | None:
        flat = [item for pair in meta.items() for item in pair]
        base = ("", "", "") if after is None else (int(after[0]), after[1], after[2])
        keys = self.thread_keys(thread_id)

        def merge() -> Any:
            args = [thread_id, int(ttl), int(max_turns), *base, len(flat), *flat, *turns]
            return self.script("MERGE", keys, args)

        created, appended, refused, total = self.call(merge, write=True)
        if created == -1:
            return None  # not as the writer read it: nothing changed
        self.reindex_one(thread_id, ttl)
        if created:
            self._created(1)
        return MergeResult(bool(created), int(appended), int(refused), int(total))

    def thread_read(self, thread_id: str) -> tuple[dict[str, str] | None, list[str]]:
        meta, turns = self._k(meta_key(thread_id)), self._k(turns_key(thread_id))

        def read() -> tuple[Any, list[bytes]]:
            # one round trip, meta first: the turns are at least as new as the meta (a
            # thread's scripts write both at once); no script, which would copy every
            # turn into Lua and back, nor MULTI, which an out-of-memory server refuses
            if self.cluster:
                pipe = self.client.pipeline(transaction=False)
                pipe.hgetall(meta)
                pipe.lrange(turns, 0, -1)
                found, listed = pipe.execute()
                return found.items(), listed
            flat, listed = replies(self.client, ("HGETALL", meta), ("LRANGE", turns, 0, -1))
            pairs = iter(flat)
            return zip(pairs, pairs, strict=True), listed

        pairs, listed = self.call(read)
        codec = CODEC  # replies are bytes: decoded as ``client.text`` does, inline
        fields = {k.decode(*codec): v.decode(*codec) for k, v in pairs}
        return fields or None, [t.decode(*codec) for t in listed]

    def thread_delete(self, thread_id: str) -> bool:
        keys = self.thread_keys(thread_id)
        gone = int(self.call(lambda: self.script("DELETE", keys, [thread_id]), write=True))
        if self.cluster:
            self.call(lambda: self.script("UNINDEX", self.index_keys(), [thread_id]), write=True)
        return gone > 0

    # -- listing and moving data (see ``threads``) --------------------------------------

    def thread_list(
        self, limit: int = 50, since: float | None = None, tool: str | None = None
    ) -> list[ThreadRow]:
        from .threads import listing

        return listing(self, limit, since, tool)

    def thread_count(self) -> int:
        return int(self.call(lambda: self._count(keys=self.index_keys())))

    def thread_survey(
        self, sample: int | None = 1000, progress: Callable[..., None] | None = None
    ) -> ThreadSurvey:
        from .survey import survey

        return survey(self, sample, progress)

    def thread_index_state(self) -> str:
        from .index import state

        return state(self)

    def _created(self, count: int) -> None:
        """A write created threads: a new project's index gets its marker (once)."""
        if not self.index_checked:
            from .index import after_create

            after_create(self, count)

    def thread_reindex(self, progress: Callable[..., None] | None = None) -> int:
        from .upkeep import reindex

        return reindex(self, progress)

    def thread_list_older(
        self,
        before: float,
        limit: int,
        tool: str | None = None,
        after: tuple[float, str] | None = None,
    ) -> list[ThreadRow]:
        from .upkeep import older

        return older(self, before, limit, tool, after)

    def thread_delete_many(
        self, thread_ids: Sequence[str], unchanged: Sequence[str] | None = None
    ) -> list[bool]:
        from .upkeep import delete_many

        return delete_many(self, thread_ids, unchanged)

    def export_threads(self, batch: int = 500) -> Iterator[list[ThreadRecord]]:
        from .threads import export

        return export(self, batch)

    def import_threads(self, records: Sequence[ThreadRecord], replace: bool) -> list[str]:
        from .threads import import_

        return import_(self, records, replace)

    def keyspace(self) -> Any:
        """The raw keys node by node, for moving many at once (``moving.KeySpace``)."""
        from .moving import KeySpace

        return KeySpace(self)
