"""Asking several servers at once: the first good answer wins, within a budget.

Used for Sentinels (every master lookup) and Cluster seed nodes (the first
contact): dead ones cost nothing more than the budget, however many they are.
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any


def first_answer(calls: Sequence[Callable[[], Any]], budget: float) -> tuple[Any, list[str]]:
    """Run every call at once; the first result that is not None, or None after
    ``budget`` seconds; with the errors seen. Stragglers end on their own
    timeouts (each call is bounded by the same budget)."""
    answers: queue.Queue[tuple[bool, Any]] = queue.Queue()

    def run(call: Callable[[], Any]) -> None:
        try:
            answers.put((True, call()))
        except Exception as e:  # reported with the others; the caller decides
            answers.put((False, e))

    for call in calls:
        threading.Thread(target=run, args=(call,), daemon=True).start()
    deadline = time.monotonic() + budget
    errors: list[str] = []
    for _ in calls:
        try:
            ok, value = answers.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            errors.append(f"no answer within {budget:g}s")
            break
        if ok and value is not None:
            return value, errors
        if not ok:
            errors.append(str(value))
    return None, errors


@functools.cache
def sentinels_class() -> type:
    """redis-py's Sentinel manager, asking every Sentinel at once, without retries."""
    from redis.sentinel import MasterNotFoundError, Sentinel

    class Sentinels(Sentinel):
        def __init__(self, sentinels: list[tuple[str, int]], *, budget: float, **kw: Any) -> None:
            super().__init__(sentinels, **kw)
            self.budget = budget

        def discover_master(self, service_name: str) -> tuple[str, int]:
            def ask(sentinel: Any) -> tuple[str, int] | None:
                state = sentinel.sentinel_masters().get(service_name)
                if state and self.check_master_state(state, service_name):
                    return str(state["ip"]), int(state["port"])
                return None

            calls = [functools.partial(ask, s) for s in self.sentinels]
            found, errors = first_answer(calls, self.budget)
            if found is None:
                seen = f": {'; '.join(errors)}" if errors else ""
                raise MasterNotFoundError(f"no Sentinel knows a master for {service_name!r}{seen}")
            return found

    return Sentinels
