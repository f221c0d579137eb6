"""zen's read-modify-write append through get_storage_backend() vs raw redis-py.

zen appends a turn by reading the whole thread document, appending in Python
and writing it back. Through zenconfig's backend the write is a merge (one
server-side step); with raw redis-py GET/SETEX, concurrent writers overwrite
each other. Measured with the same document code (tests/zenlike.py) on both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests import zenlike

ROOT = Path(__file__).resolve().parent.parent

RAW_APPENDER = """
import json, sys, uuid
import redis
from tests import zenlike

class Raw:
    def __init__(self, port):
        self.r = redis.Redis(port=port, decode_responses=True)
    def get(self, key):
        return self.r.get("raw:" + key)
    def setex(self, key, ttl, value):
        self.r.set("raw:" + key, value, ex=ttl)

backend = Raw(int(sys.argv[1]))
tid, count = sys.argv[2], int(sys.argv[3])
done = sum(zenlike.add_turn(backend, "mcp", tid, "user", f"t{i} {uuid.uuid4().hex[:6]}")
           for i in range(count))
print(json.dumps({"acknowledged": done}))
"""


class RawBackend:
    """zen's pre-zenconfig Redis usage: GET and SETEX of the whole document."""

    def __init__(self, port: int) -> None:
        import redis

        self.client = redis.Redis(port=port, decode_responses=True)

    def get(self, key: str) -> Any:
        return self.client.get("raw:" + key)

    def setex(self, key: str, ttl: int, value: str) -> None:
        self.client.set("raw:" + key, value, ex=ttl)


def throughput(backend: Any, turns: int) -> float:
    """Appends per second, zen's way, on threads of up to 50 turns."""
    started = time.perf_counter()
    done = 0
    while done < turns:
        tid = zenlike.create_thread(backend, "mcp")
        for _ in range(min(50, turns - done)):
            zenlike.add_turn(backend, "mcp", tid, "user", "a turn of about forty characters....")
            done += 1
    return turns / (time.perf_counter() - started)


def best_of(ours: Any, raw: Any, rounds: int, turns: int) -> tuple[float, float]:
    """The best throughput of each over ``rounds`` rounds, the two taking turns, so a
    noisy stretch of the machine falls on both rather than on one."""
    found: dict[str, list[float]] = {"ours": [], "raw": []}
    for _ in range(rounds):
        found["ours"].append(throughput(ours, turns))
        found["raw"].append(throughput(raw, turns))
    return max(found["ours"]), max(found["raw"])


def concurrent(port: int, home: Path, backend: Any, processes: int, turns: int) -> dict[str, int]:
    """Turns kept when ``processes`` zen processes append ``turns`` each to one thread."""
    env = {**os.environ, "HOME": str(home), "MAX_CONVERSATION_TURNS": "100000"}
    kept = {}
    for name in ("zenconfig", "raw redis-py"):
        if name == "zenconfig":
            tid = zenlike.create_thread(backend, "mcp")
            argv = [sys.executable, "-m", "tests.zenlike", "mcp", tid, str(turns)]
        else:
            raw = RawBackend(port)
            tid = zenlike.create_thread(raw, "mcp")
            argv = [sys.executable, "-c", RAW_APPENDER, str(port), tid, str(turns)]
        procs = [
            subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(processes)
        ]
        acknowledged = sum(json.loads(p.communicate(timeout=300)[0])["acknowledged"] for p in procs)
        reader = backend if name == "zenconfig" else RawBackend(port)
        thread = zenlike.read(reader, "mcp", tid)
        kept[name] = len(thread.turns) if thread else 0
        kept[f"{name} acknowledged"] = acknowledged
    return kept
