"""The local store's costs, each as a ratio against a baseline from the same run.

    .venv/bin/python -m bench.local [--appends N] [--rounds N]

Prints: turn-append throughput through ConversationStore on the local store vs
raw sqlite3 running the same statements on the same schema in the same WAL
configuration (target >= 0.8x); append throughput of 4 concurrent processes
(no lost turns; turns/s); get_thread of a 50-turn thread vs raw sqlite3
reading and decoding the same rows (target >= 0.8x), and the store's own
thread_read vs the same reads undecoded; cold start of a host calling
open_storage() on the local path plus a few store calls, vs `python -c pass`
(target <= 6x, interleaved medians). ConversationStore imports pydantic, so
the cold start measures the store calls a host makes without it.

Child processes run with bytecode caching on (PYTHONDONTWRITEBYTECODE unset),
as an installed package does; the first, untimed run writes the caches.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import command, interleaved, report

COLD = (
    "from zenconfig import open_storage\n"
    "s = open_storage()\n"
    "s.set_with_ttl('k', 60, 'v'); s.get('k')\n"
    "s.thread_create('t', {'tool_name': 'chat'}, 60)\n"
    "s.thread_append('t', '{}', 'now', 60, 10**6); s.thread_read('t')\n"
)
WRITER = """
import json, os, sys, time
from zenconfig import ConversationStore, open_storage
tid, count, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conv = ConversationStore(open_storage())
while not os.path.exists(go):
    time.sleep(0.001)
started = time.time()
stored = sum(conv.add_turn(tid, "user", f"message {i}", model_name="m") for i in range(count))
print(json.dumps({"stored": stored, "started": started, "ended": time.time()}))
"""
APPEND_SQL = (
    "UPDATE threads SET turns = turns + 1, last_updated_at = ?, updated = ?, expires = ? "
    "WHERE id = ? AND (expires IS NULL OR expires > ?) AND turns < ? RETURNING turns"
)


def write_config(home: Path) -> Path:
    path = home / ".zen-cli" / "config.json"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    local = {"path": str(home / "data" / "conv.db"), "max_turns": 100_000}
    path.write_text(json.dumps({"version": 1, "storage": {"type": "local", "local": local}}))
    path.chmod(0o600)
    return home / "data" / "conv.db"


def raw_connection(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 database with the store's schema and settings."""
    from zenconfig.storage import local_schema

    conn = sqlite3.connect(path, isolation_level=None, timeout=5.0)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    if not conn.execute("PRAGMA user_version").fetchone()[0]:
        local_schema.migrate(conn, str(path))
    return conn


def raw_thread(conn: sqlite3.Connection, tid: str) -> None:
    now = time.time()
    conn.execute(
        "INSERT INTO threads (id, tool_name, created_at, last_updated_at, extra, updated, "
        "expires) VALUES (?, 'bench', ?, ?, '{}', ?, ?)",
        (tid, "c", "c", now, now + 10800),
    )


def raw_append(conn: sqlite3.Connection, tid: str, i: int) -> None:
    stamp = datetime.now(UTC).isoformat()
    turn = json.dumps(
        {"role": "user", "content": f"message {i}", "timestamp": stamp, "model_name": "m"}
    )
    now = time.time()
    conn.execute("BEGIN IMMEDIATE")
    (count,) = conn.execute(APPEND_SQL, (stamp, now, now + 10800, tid, now, 10**6)).fetchall()
    conn.execute("INSERT INTO turns VALUES (?, ?, ?)", (tid, count[0] - 1, turn))
    conn.execute("COMMIT")


def appends(n: int, raw_path: Path) -> tuple[float, float]:
    from zenconfig import ConversationStore, open_storage

    conversations = ConversationStore(open_storage())
    raw = raw_connection(raw_path)
    best = {"zenconfig": float("inf"), "raw": float("inf")}
    for round_ in range(3):  # alternate, keep the best of three rounds each
        tid = conversations.create_thread("bench")
        started = time.perf_counter()
        for i in range(n):
            conversations.add_turn(tid, "user", f"message {i}", model_name="m")
        best["zenconfig"] = min(best["zenconfig"], time.perf_counter() - started)
        raw_thread(raw, f"raw{round_}")
        started = time.perf_counter()
        for i in range(n):
            raw_append(raw, f"raw{round_}", i)
        best["raw"] = min(best["raw"], time.perf_counter() - started)
    raw.close()
    return n / best["zenconfig"], n / best["raw"]


def concurrent(home: Path, env: dict[str, str], processes: int, each: int) -> tuple[int, float]:
    from zenconfig import ConversationStore, open_storage

    tid = ConversationStore(open_storage()).create_thread("bench")
    go = home / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, tid, str(each), str(go)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    time.sleep(1.0)  # every child imported and opened the store
    go.touch()
    results = [json.loads(child.communicate(timeout=600)[0]) for child in children]
    go.unlink()
    seconds = max(r["ended"] for r in results) - min(r["started"] for r in results)
    _, turns = open_storage().thread_read(tid)
    assert sum(r["stored"] for r in results) == len(turns) == processes * each, "lost turns"
    return len(turns), len(turns) / seconds


def get_thread(db: Path, rounds: int = 300) -> dict[str, float]:
    """The same thread of the same file, read by the store and by plain sqlite3."""
    from zenconfig import ConversationStore, open_storage

    store = open_storage()
    conversations = ConversationStore(store)
    tid = conversations.create_thread("bench")
    for i in range(50):
        conversations.add_turn(tid, "user" if i % 2 == 0 else "assistant", "x" * 400)
    raw = raw_connection(db)

    def raw_read(decode: bool) -> Any:
        raw.execute("BEGIN")
        row = raw.execute(
            "SELECT tool_name, created_at, last_updated_at, extra FROM threads "
            "WHERE id = ? AND (expires IS NULL OR expires > ?)",
            (tid, time.time()),
        ).fetchone()
        bodies = raw.execute("SELECT body FROM turns WHERE thread_id = ? ORDER BY seq", (tid,))
        found = [b for (b,) in bodies.fetchall()]
        raw.execute("COMMIT")
        if decode:
            return {"meta": row, "extra": json.loads(row[3]), "turns": list(map(json.loads, found))}
        return row, found

    cases = {
        "get_thread": lambda: conversations.get_thread(tid),
        "raw read + json decode": lambda: raw_read(True),
        "thread_read": lambda: store.thread_read(tid),
        "raw read": lambda: raw_read(False),
    }
    best = {}
    for name, case in cases.items():
        case()
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(rounds):
                case()
            timings.append((time.perf_counter() - started) / rounds)
        best[name] = min(timings)
    raw.close()
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=3000)
    parser.add_argument("--concurrent", type=int, default=500, help="appends per process")
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args()
    missed: list[str] = []
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        os.environ["HOME"] = str(home)
        for key in [k for k in os.environ if k.startswith("ZEN_")]:
            del os.environ[key]
        db = write_config(home)
        env = {**os.environ, "HOME": str(home)}

        ours, raw = appends(args.appends, db.with_name("raw-append.db"))
        ratio = ours / raw
        print(f"\nturn appends on the local store ({args.appends} per round, best of 3)")
        print(f"  ConversationStore.add_turn   {ours:9.0f} /s")
        print(f"  raw sqlite3, same statements {raw:9.0f} /s")
        print(f"  ratio {ratio:.2f}x  target >= 0.8x: {'ok' if ratio >= 0.8 else 'MISSED'}")
        missed += [] if ratio >= 0.8 else ["appends"]

        turns, rate = concurrent(home, env, 4, args.concurrent)
        print(f"\n4 processes x {args.concurrent} appends to one thread")
        print(f"  {turns} turns stored, none lost; {rate:.0f} turns/s together")

        best = get_thread(db)
        print("\nreading a 50-turn thread (best of 5 x 300)")
        for ours_name, raw_name in (
            ("get_thread", "raw read + json decode"),
            ("thread_read", "raw read"),
        ):
            ratio = best[raw_name] / best[ours_name]
            target = ours_name == "get_thread"
            verdict = (" target >= 0.8x: " + ("ok" if ratio >= 0.8 else "MISSED")) if target else ""
            print(
                f"  {ours_name:<12} {best[ours_name] * 1e6:7.1f} us  vs {raw_name:<23} "
                f"{best[raw_name] * 1e6:7.1f} us  speed ratio {ratio:.2f}x{verdict}"
            )
            if target and ratio < 0.8:
                missed.append("get_thread")

        local_env = {**env, "ZEN_STORAGE_TYPE": "local"}
        medians = interleaved(
            {
                "python -c pass": command([sys.executable, "-c", "pass"], env),
                "open_storage() local path + calls": command(
                    [sys.executable, "-c", COLD], local_env
                ),
                "open_storage() memory path + calls": command([sys.executable, "-c", COLD], env),
            },
            rounds=args.rounds,
        )
        missed += report(
            "host cold start",
            medians,
            "python -c pass",
            {"open_storage() local path + calls": 6.0},
        )
    if missed:
        print("\nmissed: " + ", ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
