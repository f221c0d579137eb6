"""The runtime's costs, each as a ratio against a baseline from the same run.

    .venv/bin/python -m bench.runtime [--appends N]

Starts its own redis-server on a free loopback port. Prints: turn-append
throughput through ConversationStore vs raw redis-py sending the same command
(target >= 0.8x); round trips of get_thread on a 50-turn thread (target 1);
connections opened for 1,000 operations (target 1); time to decide on fallback
vs the connect timeout for each failure shape (refused, unanswered, accepted
and silent, stopped, slow; dead Sentinels, a stopped master; dead and stopped
Cluster nodes), each target <= 1.2x; cold start of a host CLI calling
open_storage() on the memory and Redis paths vs `python -c pass` (memory
target <= 10x wall); in instructions, open_storage() + one get on the memory
path vs `python -c pass` (target <= 4x) and on the Redis path vs raw redis-py
(target <= 1.15x).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import command, interleaved, report
from tests import servers
from tests.storage import faults

COLD = "from zenconfig import open_storage; open_storage()"


def _write_config(home: Path, port: int, timeout: float = 0.5, **entry: Any) -> None:
    path = home / ".zen-cli" / "config.json"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    project = {
        "port": port,
        "key_prefix": f"bench:{uuid.uuid4().hex[:6]}:",
        "max_turns": 100_000,
        "timeouts": {"connect_seconds": timeout},
        **entry,
    }
    doc = {
        "version": 1,
        "storage": {"type": "redis", "redis": {"default": "b", "connections": {"b": project}}},
    }
    path.write_text(json.dumps(doc))


def _fresh() -> None:
    from zenconfig import runtime as factory
    from zenconfig.storage import redis as redis_backend

    factory.reset()
    redis_backend.close_all()


def appends(n: int) -> tuple[float, float]:
    from zenconfig import ConversationStore, open_storage
    from zenconfig.storage.redis.scripts import APPEND

    store: Any = open_storage()
    conversations = ConversationStore(store)
    client = store.client
    sha = client.script_load(APPEND)
    best = {"zenconfig": float("inf"), "raw": float("inf")}
    for _ in range(3):  # alternate, keep the best of three rounds each
        tid = conversations.create_thread("bench")
        started = time.perf_counter()
        for i in range(n):
            conversations.add_turn(tid, "user", f"message {i}", model_name="m")
        best["zenconfig"] = min(best["zenconfig"], time.perf_counter() - started)
        tid = conversations.create_thread("bench")
        keys = store.thread_keys(tid)  # the thread's keys and the index, as the store sends
        started = time.perf_counter()
        for i in range(n):
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
            turn = json.dumps(
                {"role": "user", "content": f"message {i}", "timestamp": stamp, "model_name": "m"}
            )
            client.evalsha(sha, len(keys), *keys, tid, turn, 10800, 10**6, stamp)
        best["raw"] = min(best["raw"], time.perf_counter() - started)
    return n / best["zenconfig"], n / best["raw"]


def get_thread_round_trips() -> tuple[int, float, float]:
    import redis.connection

    from zenconfig import ConversationStore, open_storage
    from zenconfig.storage.base import meta_key, turns_key

    store: Any = open_storage()
    conversations = ConversationStore(store)
    tid = conversations.create_thread("bench")
    for i in range(50):
        conversations.add_turn(tid, "user" if i % 2 == 0 else "assistant", "x" * 400)
    sends = {"n": 0}
    original = redis.connection.AbstractConnection.send_packed_command

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        sends["n"] += 1
        return original(self, *args, **kwargs)

    redis.connection.AbstractConnection.send_packed_command = counting  # type: ignore[method-assign]
    try:
        thread = conversations.get_thread(tid)
    finally:
        redis.connection.AbstractConnection.send_packed_command = original  # type: ignore[method-assign]
    assert thread is not None and len(thread.turns) == 50
    client, keys = store.client, (store.prefix + meta_key(tid), store.prefix + turns_key(tid))
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        conversations.get_thread(tid)
    ours = (time.perf_counter() - started) / rounds
    started = time.perf_counter()
    for _ in range(rounds):
        pipe = client.pipeline(transaction=False)
        pipe.hgetall(keys[0])
        pipe.lrange(keys[1], 0, -1)
        pipe.execute()
    raw = (time.perf_counter() - started) / rounds
    return sends["n"], ours, raw


def connections_for_1000_ops(server: servers.Server) -> int:
    from zenconfig import ConversationStore, open_storage

    def received() -> int:
        info = server.cli("INFO", "stats")
        return int(
            next(
                v
                for k, _, v in (ln.partition(":") for ln in info.splitlines())
                if k == "total_connections_received"
            )
        )

    _fresh()
    before = received() + 1  # the INFO call above is a connection of its own
    conversations = ConversationStore(open_storage())
    tid = conversations.create_thread("bench")
    for i in range(333):
        store = open_storage()  # reopening in one process reuses the pool
        store.set_with_ttl(f"k{i}", 60, "v")
        store.get(f"k{i}")
        conversations.add_turn(tid, "user", "m")
    return received() - before


def fallback_seconds(home: Path, port: int, timeout: float, **entry: Any) -> float:
    from zenconfig import open_storage

    _write_config(home, port, timeout, **entry)
    _fresh()
    devnull = open(os.devnull, "w")  # noqa: SIM115 - the one warning is expected here
    saved, sys.stderr = sys.stderr, devnull
    try:
        started = time.perf_counter()
        store = open_storage()
        elapsed = time.perf_counter() - started
    finally:
        sys.stderr = saved
        devnull.close()
    assert store.degraded
    return elapsed


def _nodes(ports: list[int], key: str = "nodes") -> dict[str, Any]:
    return {key: [{"host": "127.0.0.1", "port": p} for p in ports]}


def fallback_shapes(home: Path, tmp: Path, timeout: float) -> dict[str, float]:
    """Seconds to decide on the fallback, for each failure shape in each mode."""
    victim = servers.start(tmp / "victim")
    sentinel = servers.start_sentinel(tmp / "sentinel", victim)
    cluster = servers.start_cluster(tmp / "cluster")
    found: dict[str, float] = {}

    def shape(name: str, port: int | None = None, **entry: Any) -> None:
        """``port``: the standalone server; Sentinel and Cluster projects ignore it."""
        found[name] = fallback_seconds(home, port or servers.free_port(), timeout, **entry)

    sentinels = {"mode": "sentinel", "service_name": "mymaster"}
    try:
        shape("refused port", servers.free_port())
        with servers.unanswering_listener() as port:
            shape("unanswered SYN", port)
        with faults.hanging_listener() as port:
            shape("accept-and-hang listener", port)
        with faults.stopped(victim):
            shape("SIGSTOPped server", victim.port)
        with faults.DelayProxy(victim.port, delay=4 * timeout) as proxy:
            shape("slow server (replies held 4x)", proxy.port)
        with servers.unanswering_listener() as a, faults.hanging_listener() as b:
            dead = [a, b, servers.free_port()]
            shape("sentinel: 3 dead sentinels", **sentinels, **_nodes(dead, "sentinels"))
        with faults.stopped(sentinel):
            shape(
                "sentinel: stopped sentinel",
                **sentinels,
                **_nodes([sentinel.port] * 3, "sentinels"),
            )
        with faults.stopped(victim):
            shape("sentinel: stopped master", **sentinels, **_nodes([sentinel.port], "sentinels"))
        with servers.unanswering_listener() as a, faults.hanging_listener() as b:
            dead = [a, b, servers.free_port()]
            shape("cluster: 3 dead nodes", mode="cluster", **_nodes(dead))
        with contextlib.ExitStack() as stack:
            for node in cluster:
                stack.enter_context(faults.stopped(node))
            ports = [n.port for n in cluster]
            shape("cluster: all nodes stopped", mode="cluster", **_nodes(ports))
    finally:
        for server in (sentinel, victim, *cluster):
            server.stop()
    return found


def zen_pattern(port: int, home: Path) -> list[str]:
    """zen's read-modify-write appends: throughput vs raw GET/SETEX, turns kept."""
    from bench import zenpattern
    from zenconfig import get_storage_backend

    _write_config(home, port, max_turns=100000)
    _fresh()
    backend = get_storage_backend()
    ours, raw = zenpattern.best_of(backend, zenpattern.RawBackend(port), rounds=5, turns=600)
    ok = ours / raw >= 0.5
    print("\nzen's read-modify-write append (get, append in Python, write back)")
    print(f"  through get_storage_backend()  {ours:8.0f} /s")
    print(f"  raw redis-py GET/SETEX          {raw:8.0f} /s")
    print(f"  ratio {ours / raw:.2f}x  target >= 0.5x: {'ok' if ok else 'MISSED'}")
    kept = zenpattern.concurrent(port, home, backend, processes=4, turns=100)
    all_kept = kept["zenconfig"] == 400
    print("  4 processes x 100 turns on one thread, turns kept:")
    print(
        f"    zenconfig     {kept['zenconfig']:4d} of 400  target all: "
        f"{'ok' if all_kept else 'MISSED'}"
    )
    print(
        f"    raw redis-py  {kept['raw redis-py']:4d} of 400 (acknowledged "
        f"{kept['raw redis-py acknowledged']})"
    )
    _write_config(home, port)
    _fresh()
    return ([] if ok else ["zen append ratio"]) + ([] if all_kept else ["zen turns kept"])


HOST_REDIS = "from zenconfig import open_storage\ns = open_storage()\ns.get('k')\n"
RAW_REDIS = "import redis, sys\nr = redis.Redis(port=int(sys.argv[1]))\nr.ping()\nr.get('k')\n"


def host_instructions(port: int, home: Path, tmp: Path) -> list[str]:
    """A host's cold path in instructions: open_storage() + one get, vs raw redis-py."""
    from bench import instructions

    if not instructions.available():
        print("\n(valgrind not found: host instruction counts skipped)")
        return []
    memory_home = tmp / "instr-memory-home"
    memory_home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    redis_env, memory_env = {**env, "HOME": str(home)}, {**env, "HOME": str(memory_home)}
    cases = {
        "python -c pass": ([sys.executable, "-c", "pass"], memory_env),
        "raw redis-py: Redis(), ping, get": ([sys.executable, "-c", RAW_REDIS, str(port)], env),
        "open_storage() + get, Redis path": ([sys.executable, "-c", HOST_REDIS], redis_env),
        "open_storage() + get, memory path": ([sys.executable, "-c", HOST_REDIS], memory_env),
    }
    for argv, case_env in cases.values():  # warm: bytecode caches written
        command(argv, case_env)()
    counts = {name: instructions.count(argv, case_env) for name, (argv, case_env) in cases.items()}
    raw = counts["raw redis-py: Redis(), ping, get"]
    ours = counts["open_storage() + get, Redis path"]
    missed = instructions.report(
        "host runtime", counts, "python -c pass", {"open_storage() + get, memory path": 4.0}
    )
    ok = ours / raw <= 1.15
    print(
        f"  Redis path vs raw redis-py: {ours / raw:.2f}x  target <= 1.15x: "
        f"{'ok' if ok else 'MISSED'}"
    )
    return missed + ([] if ok else ["host Redis path"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    missed: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        os.environ["HOME"] = str(home)
        for key in [k for k in os.environ if k.startswith("ZEN_")]:
            del os.environ[key]
        server = servers.start(Path(tmp) / "redis")
        try:
            _write_config(home, server.port)
            ours, raw = appends(args.appends)
            ratio = ours / raw
            print(f"\nturn appends ({args.appends} per round, best of 3)")
            print(f"  ConversationStore.add_turn   {ours:9.0f} /s")
            print(f"  raw redis-py EVALSHA         {raw:9.0f} /s")
            print(f"  ratio {ratio:.2f}x  target >= 0.8x: {'ok' if ratio >= 0.8 else 'MISSED'}")
            missed += [] if ratio >= 0.8 else ["appends"]

            trips, ours_s, raw_s = get_thread_round_trips()
            print("\nget_thread of a 50-turn thread")
            print(f"  round trips: {trips}  target 1: {'ok' if trips == 1 else 'MISSED'}")
            print(f"  time vs raw pipelined HGETALL+LRANGE: {ours_s / raw_s:.2f}x")
            missed += [] if trips == 1 else ["get_thread"]

            opened = connections_for_1000_ops(server)
            print(
                f"\nconnections opened for 1,000 operations: {opened}  target 1: "
                f"{'ok' if opened == 1 else 'MISSED'}"
            )
            missed += [] if opened == 1 else ["connections"]

            timeout = 0.5
            decided = fallback_shapes(home, Path(tmp), timeout)
            print(f"\nfallback decision (connect timeout {timeout}s, socket timeout 5s)")
            for name, secs in decided.items():
                ok = secs / timeout <= 1.2
                print(
                    f"  {name:<34} {secs / timeout:5.2f}x the timeout ({secs * 1000:6.1f} ms)"
                    f"  target <= 1.2x: {'ok' if ok else 'MISSED'}"
                )
                missed += [] if ok else [name]

            missed += zen_pattern(server.port, home)
            missed += host_instructions(server.port, home, Path(tmp))

            memory_home = Path(tmp) / "memory-home"
            memory_home.mkdir()
            env_memory = {**os.environ, "HOME": str(memory_home)}
            env_redis = {**os.environ, "HOME": str(home)}
            _write_config(home, server.port)
            medians = interleaved(
                {
                    "python -c pass": command([sys.executable, "-c", "pass"], env_memory),
                    "open_storage() memory path": command([sys.executable, "-c", COLD], env_memory),
                    "open_storage() redis path": command([sys.executable, "-c", COLD], env_redis),
                },
                rounds=args.rounds,
            )
            missed += report(
                "host CLI cold start",
                medians,
                "python -c pass",
                {"open_storage() memory path": 10.0},
            )
        finally:
            server.stop()
    if missed:
        print("\nmissed: " + ", ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
