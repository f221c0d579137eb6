"""The store contract every backend implements (memory, Redis, local), and the key layout.

Keys handed to a store are relative: the store adds its project's prefix. A
thread lives in two keys that share a Redis Cluster hash tag:
``thread:{<id>}:meta`` (a hash of strings) and ``thread:{<id>}:turns`` (a
list of turn documents, each a JSON text). Stores that are not Redis keep the
same logical layout, so ``scan``, export, import and copy see the same names.

The thread index is kept under ``index:{threads}:by-update`` (ids by last
update) and ``index:{threads}:by-expiry`` (ids by expiry time), with the
marker ``index:{threads}:complete`` (every thread is indexed), where a store
keeps it as keys; ``scan`` may show them.

Every thread operation is one atomic step in the store (a Lua script, a lock,
an SQL transaction) and keeps the store's thread index (newest first) in the
same step where the store can (see ``thread_list``; Redis Cluster updates it
right after, see docs/architecture.md "Thread index"). A ``ttl`` <= 0 given to
a thread operation means no expiry. Outcomes are told truthfully:

- stored: the return value says what happened;
- refused: ``THREAD_MISSING`` / ``THREAD_FULL`` / ``False``, or
  ``WriteRefusedError`` when the server refused the write (out of memory);
- unknown: ``WriteUnknownError`` when the server stopped answering after the
  write was sent. Writes that are not idempotent are never retried.

Any backend failure surfaces as a ``ZenConfigError`` (never a client
library's exception): ``StorageUnavailableError`` for an unreachable server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

TYPE_CHECKING = False  # typing and dataclasses cost the memory path (zenconfig.values)

MAX_ID = 256  # characters of a thread id


def id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a thread id, or None. The one rule, for the importer and
    for ids a caller chooses: non-empty, at most ``MAX_ID`` characters, no spaces, control
    or format characters. Braces are fine: both keys of a thread read the same up to
    the first ``}``, so they share their Cluster hash tag whatever the id holds."""
    if not value:
        return "is empty"
    if len(value) > MAX_ID:
        return f"is longer than {MAX_ID} characters"
    if value.isprintable() and " " not in value:
        return None  # isprintable: no character of the C or Z categories but the space
    import unicodedata

    from ..text import printable

    for char in value:
        if unicodedata.category(char)[0] in "CZ":
            return f"holds {printable(char)!s} (no spaces or control characters)"
    return None


def unstorable(error: UnicodeEncodeError, where: str) -> ZenConfigError:
    """Text a store cannot hold (a lone surrogate is no UTF-8), as an error of ours."""
    from ..errors import WriteRefusedError
    from ..text import printable

    char = error.object[error.start : error.start + 1]
    return WriteRefusedError(
        f"text holding {printable(str(char))} cannot be stored: it is not UTF-8",
        where=where,
    )


if TYPE_CHECKING:
    from typing import Any, Protocol

    from ..errors import ZenConfigError
    from .records import MergeResult, ThreadRecord, ThreadRow, ThreadSurvey

THREAD_FULL = -2
THREAD_MISSING = -1
META_FIELDS = ("thread_id", "parent_thread_id", "created_at", "last_updated_at", "tool_name")
INDEX_UPDATED = "index:{threads}:by-update"
INDEX_EXPIRY = "index:{threads}:by-expiry"
INDEX_MARKER = "index:{threads}:complete"
INDEX_PROBE = "index:{threads}:probe"  # where a listing's probe cut short stopped
INDEX_CHECKPOINT = "index:{threads}:reindex"  # where a stopped reindex goes on
INDEX_BOOKKEEPING = (INDEX_MARKER, INDEX_PROBE, INDEX_CHECKPOINT)
INDEX_STATES = ("complete", "missing", "unknown")


def key_ttl(ttl: int | None) -> int | None:
    """The expiry of a plain key: None (none) or a positive number of seconds."""
    if ttl is None:
        return None
    from ..errors import ZenConfigError

    if isinstance(ttl, bool) or int(ttl) <= 0:
        raise ZenConfigError(f"a ttl must be a positive number of seconds, not {ttl}")
    return int(ttl)


REQUIRED_META = ("tool_name", "created_at", "last_updated_at")
# a merge after the turns the writer read: (how many, the first, the n-th), see thread_merge
After = tuple[int, str, str]


def whole_document(
    stored: Sequence[str] | None, turns: Sequence[str], after: After | None
) -> Sequence[str] | None:
    """The turns of the whole document a merge stands for (``Store.thread_merge``): with
    ``after``, the thread's first ``n`` stored turns and then ``turns``; None when the
    thread (``stored`` None: missing) no longer begins as the writer read it."""
    if after is None:
        return turns
    n, first, last = after
    if stored is None or len(stored) < n:
        return None
    if n > 0 and (stored[0] != first or stored[n - 1] != last):
        return None
    return [*stored[:n], *turns]


def lacking_meta(meta: dict[str, Any]) -> str | None:
    """Why a stored thread's meta is malformed (for listings), or None."""
    lacking = [name for name in REQUIRED_META if name not in meta]
    return "meta lacks " + ", ".join(lacking) if lacking else None


def meta_key(thread_id: str) -> str:
    return f"thread:{{{thread_id}}}:meta"


def turns_key(thread_id: str) -> str:
    return f"thread:{{{thread_id}}}:turns"


def thread_id_of(meta: str) -> str | None:
    """The id inside a relative ``thread:{id}:meta`` key."""
    if meta.startswith("thread:{") and meta.endswith("}:meta"):
        return meta[len("thread:{") : -len("}:meta")]
    return None


def thread_ids(store: Store) -> Iterator[str]:
    """The ids of the threads a store holds, by scanning (see ``thread_list`` for the index)."""
    for key in store.scan("thread:*:meta"):
        found = thread_id_of(key)
        if found is not None:
            yield found


if TYPE_CHECKING:

    class Store(Protocol):
        """What ``open_storage`` returns."""

        kind: str  # "memory", "redis" or "local"
        name: str  # the project, "memory" or "local"
        prefix: str
        default_ttl: int
        max_turns: int
        degraded: bool
        selection: Any  # runtime.Selection: which store and why

        # -- key/value: relative keys, text values --------------------------------
        def get(self, key: str) -> str | None: ...
        def set(self, key: str, value: str, ttl: int | None = None) -> None:
            """Store text under ``key``; ``ttl`` None: no expiry; a ttl <= 0 is an error."""
            ...

        def set_with_ttl(self, key: str, ttl: int, value: str) -> None: ...
        def setex(self, key: str, ttl: int, value: str) -> None: ...
        def delete(self, *keys: str) -> int: ...
        def exists(self, key: str) -> bool: ...
        def ttl(self, key: str) -> int: ...  # seconds left; -1 no expiry; -2 missing
        def scan(self, match: str = "*") -> Iterator[str]: ...
        def ping(self) -> float: ...
        def close(self) -> None: ...

        # -- threads: each call one atomic step ------------------------------------
        def thread_create(self, thread_id: str, meta: dict[str, str], ttl: int) -> bool:
            """Create with ``meta``; False when the thread exists."""
            ...

        def thread_append(
            self, thread_id: str, turn: str, updated_at: str, ttl: int, max_turns: int
        ) -> int:
            """Append one turn, set ``last_updated_at``, refresh the expiry of the
            whole thread; the new count, ``THREAD_MISSING`` or ``THREAD_FULL``."""
            ...

        def thread_merge(
            self,
            thread_id: str,
            meta: dict[str, str],
            turns: Sequence[str],
            ttl: int,
            max_turns: int,
            after: After | None = None,
        ) -> MergeResult | None:
            """Write a whole thread document as a merge (zen's read-modify-write).

            Creates the thread when missing; sets the given meta fields; appends,
            in order, each of ``turns`` not already stored (compared by exact text,
            counting repeats); stored turns are never removed or rewritten;
            refreshes the expiry. A write whose new turns would pass ``max_turns``
            is refused whole: nothing changes (no turn, no meta, no expiry), and
            ``refused`` counts its new turns.

            ``after=(n, first, last)``: the document begins with the thread's first
            ``n`` stored turns, the first and the n-th of them being ``first`` and
            ``last`` (the writer read them), and ``turns`` are only what follows
            them. When the stored thread still begins that way (it exists with at
            least ``n`` turns, its first and n-th are those), the result is that of
            the whole document's merge, without sending or comparing the ``n``;
            otherwise None, and nothing changed (the caller merges the whole
            document). Only then is the result None. Stored turns are only ever
            appended to; a thread deleted and written anew since the read, with
            the same first and n-th turns but others between, would be taken for
            the one read (the turns between as the writer's, not compared).
            """
            ...

        def thread_read(self, thread_id: str) -> tuple[dict[str, str] | None, list[str]]:
            """(meta, turns); (None, []) when the thread does not exist."""
            ...

        def thread_delete(self, thread_id: str) -> bool:
            """Remove the thread and its index entry; False when it did not exist."""
            ...

        # -- listing and moving data -------------------------------------------------
        def thread_list(
            self, limit: int = 50, since: float | None = None, tool: str | None = None
        ) -> list[ThreadRow]:
            """Newest first (by last update), at most ``limit``; ``since``: epoch
            seconds of the oldest last update to include; ``tool``: only threads of
            that tool. Costs O(limit) (with ``tool``, O(threads newer than the
            last match)). A malformed stored thread is a row with ``problem`` set,
            never an exception; an expired thread is never listed."""
            ...

        def thread_count(self) -> int:
            """Threads stored and not expired (from the index: O(1) or O(log n))."""
            ...

        def thread_index_state(self) -> str:
            """Whether ``thread_list`` sees every thread: ``complete``; ``missing``
            (threads are stored that the index lacks: data written before it
            existed; ``thread_reindex`` adds them); ``unknown`` (not verified, see
            docs/architecture.md "Thread index")."""
            ...

        def thread_survey(
            self, sample: int | None = 1000, progress: Callable[..., None] | None = None
        ) -> ThreadSurvey:
            """Counts and extents from the index (exact, O(1) or O(log n)), turns and
            bytes of ``sample`` threads drawn uniformly without replacement (None,
            or a sample as large as the project: every thread, calling
            ``progress(n, total=...)`` as it goes)."""
            ...

        def thread_reindex(self, progress: Callable[..., None] | None = None) -> int:
            """Rebuild the index from the stored threads (data written without it,
            a lost Cluster index update), keeping the place of threads already
            indexed; the number of threads indexed. Resumable: a run that was
            stopped continues where it stopped. ``progress(n, total=None)``."""
            ...

        def thread_list_older(
            self,
            before: float,
            limit: int,
            tool: str | None = None,
            after: tuple[float, str] | None = None,
        ) -> list[ThreadRow]:
            """Oldest first: threads last updated before ``before`` (epoch seconds,
            by the index), of ``tool`` when given, after the cursor ``after``
            (the ``(updated, thread_id)`` of the last row of the previous page)."""
            ...

        def thread_delete_many(
            self, thread_ids: Sequence[str], unchanged: Sequence[str] | None = None
        ) -> list[bool]:
            """Delete each thread whole with its index entry, in batches; True where
            one was deleted. With ``unchanged`` (a ``last_updated_at`` per id, as
            listed), a thread written since it was listed is kept."""
            ...

        def export_threads(self, batch: int = 500) -> Iterator[list[ThreadRecord]]:
            """Every thread, in batches (pipelined where the store can); memory stays flat."""
            ...

        def import_threads(self, records: Sequence[ThreadRecord], replace: bool) -> list[str]:
            """Write each record all-or-nothing; per record ``imported``,
            ``replaced``, ``skipped`` (exists and not ``replace``) or ``refused``
            (the server refused the write, e.g. out of memory: nothing of that
            thread was written). The index score is the record's
            ``last_updated_at``; ``ttl`` None: no expiry."""
            ...

else:  # the contract is for type checkers; at run time a plain name
    Store = object
    _RECORDS = {"ThreadRecord", "ThreadRow", "ThreadSurvey", "MergeResult"}

    def __getattr__(name: str) -> object:
        if name in _RECORDS:  # the records load on first use (``storage.records``)
            from . import records

            return getattr(records, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
