"""zen storage stats: threads, turns, bytes, activity, TTL spread of one store.

Threads, the oldest and newest activity and the TTL spread are exact and come
from the store's index (``Store.thread_survey``): they cost the same for ten
threads or a million. Turns and bytes are exact up to ``SAMPLE`` threads;
past that they are estimated from a uniform sample of ``SAMPLE`` threads,
with the half-width of a 95% confidence interval (normal approximation, with
the finite-population correction), or read for every thread when ``exact``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..storage.base import Store

SAMPLE = 1000
Z95 = 1.96


def estimate(total: int, squares: int, sampled: int, population: int) -> tuple[int, int]:
    """(estimated total over ``population``, its 95% error) from a sample's sums."""
    if sampled >= population or sampled == 0:
        return total, 0
    mean = total / sampled
    variance = max(squares - total * total / sampled, 0) / max(sampled - 1, 1)
    spread = population * math.sqrt(variance / sampled * (1 - sampled / population))
    return round(mean * population), math.ceil(Z95 * spread)


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat()


def stats(
    store: Store,
    exact: bool = False,
    sample: int = SAMPLE,
    progress: Callable[..., None] | None = None,
) -> dict[str, Any]:
    """One project's figures (see the module doc); ``exact`` reads every thread."""
    survey = store.thread_survey(None if exact else sample, progress)
    whole = survey.sampled >= survey.threads
    turns, turns_error = estimate(survey.turns, survey.turns_sq, survey.sampled, survey.threads)
    size, size_error = estimate(survey.bytes, survey.bytes_sq, survey.sampled, survey.threads)
    return {
        "project": store.name,
        "threads": survey.threads,
        "turns": turns,
        "turns_error": turns_error,
        "bytes": size,
        "bytes_error": size_error,
        "bytes_sampled": not whole,
        "sampled": survey.sampled,
        "oldest_activity": _iso(survey.oldest),
        "newest_activity": _iso(survey.newest),
        "ttl_min": survey.ttl_min,
        "ttl_max": survey.ttl_max,
        "no_expiry": survey.forever,
        "index": store.thread_index_state(),
    }
