"""The records the store contract hands around: a whole thread (export, import,
copy), a listing row, a survey for stats, the outcome of a merge.

Apart from ``base`` so that the memory path (which never lists, exports or
merges) does not pay for ``dataclasses``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ThreadRecord:
    """One whole thread as export, import and copy move it."""

    thread_id: str
    meta: dict[str, str]
    turns: list[str]  # turn documents (JSON texts), oldest first
    ttl: int | None  # seconds left; None: no expiry


def seconds_left(seconds: float) -> int:
    """A live thread's life left as a record carries it: whole seconds to the nearest,
    as Redis's TTL rounds, so the whole-second hops of a copy (store to store and
    back) neither lengthen nor shorten a life on the whole; never below 1, which
    would read as gone (or, to an importer, as no expiry)."""
    return max(1, round(seconds))


@dataclass(frozen=True)
class ThreadRow:
    """One line of a thread listing. ``problem`` says why a stored thread is malformed."""

    thread_id: str
    tool_name: str
    created_at: str
    last_updated_at: str
    turns: int
    ttl: int  # seconds left, -1 no expiry
    problem: str | None = None
    updated: float | None = None  # the index's time of the last update (epoch seconds)


@dataclass
class ThreadSurvey:
    """What ``thread_survey`` read: exact figures from the index, and turns and
    bytes summed over ``sampled`` threads (all of them, or a uniform sample).
    Bytes are the store's own measure: Redis ``MEMORY USAGE`` of both keys,
    elsewhere the length of the stored text."""

    threads: int = 0  # live threads
    sampled: int = 0
    turns: int = 0  # of the sampled threads
    turns_sq: int = 0  # sum of squares, for the sampling error
    bytes: int = 0
    bytes_sq: int = 0
    oldest: float | None = None  # the earliest last update (epoch seconds)
    newest: float | None = None  # the latest last update
    ttl_min: int | None = None  # seconds left of the first thread to expire
    ttl_max: int | None = None  # of the last one (None when no thread expires)
    forever: int = 0  # threads without expiry

    def add(self, turns: int, size: int) -> None:
        self.sampled += 1
        self.turns += turns
        self.turns_sq += turns * turns
        self.bytes += size
        self.bytes_sq += size * size


@dataclass(frozen=True)
class MergeResult:
    """What ``thread_merge`` did: turns appended, turns refused (past max_turns)."""

    created: bool
    appended: int
    refused: int
    total: int
