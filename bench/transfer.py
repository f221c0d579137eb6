"""Copy throughput, against baselines of the same run.

    .venv/bin/python -m bench.transfer [--keys 100000] [--big 1000000] [--threads 100000]

Two servers: fills a source server with ~1 KB values with TTLs, then copies
them to a second server with a prefix rewrite three ways: naive per-key
GET/PTTL/SET (on a subset), pipelined DUMP/PTTL + RESTORE in batches of
1,000, and `zen storage copy` (auto: DUMP/RESTORE; and --method migrate). Prints keys/s and
ratios (target: >= 2x the pipelined baseline), and the copy's peak RSS at
--keys and --big keys (target: flat).

Standalone -> 3-master Cluster (``cluster_copy_figures``, also printed by
bench.scale): --threads threads of 5 turns of about 200 bytes, in the
store's layout, copied to a Cluster the bench starts: pipelined DUMP/RESTORE
through redis-py's cluster pipeline vs `zen storage copy` (target >= 1.5x).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests import servers

VALUE = "v" * 1000
TURN = json.dumps({"role": "user", "content": "t" * 160, "timestamp": "2026-01-01T00:00:00"})


def fill(server: servers.Server, prefix: str, n: int) -> None:
    import redis

    client = redis.Redis(port=server.port)
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        pipe.set(f"{prefix}{i}", VALUE, ex=3600 + i % 3600)
        if i % 10_000 == 9_999:
            pipe.execute()
    pipe.execute()
    client.close()


def fill_threads(server: servers.Server, prefix: str, n: int, turns: int = 5) -> int:
    """``n`` threads in the store's layout (meta hash, turns list, the index); keys written."""
    import redis

    client = redis.Redis(port=server.port)
    pipe = client.pipeline(transaction=False)
    stamp = "2026-01-01T00:00:00+00:00"
    for i in range(n):
        tid = f"{i:08x}-0000-4000-8000-000000000000"
        meta, items = f"{prefix}thread:{{{tid}}}:meta", f"{prefix}thread:{{{tid}}}:turns"
        pipe.hset(meta, mapping={"thread_id": tid, "tool_name": "chat", "created_at": stamp,
                                 "last_updated_at": stamp})  # fmt: skip
        pipe.rpush(items, *[TURN] * turns)
        pipe.expire(meta, 10800)
        pipe.expire(items, 10800)
        pipe.zadd(f"{prefix}index:{{threads}}:by-update", {tid: 1_767_225_600 + i})
        pipe.zadd(f"{prefix}index:{{threads}}:by-expiry", {tid: 1_767_236_400 + i})
        if i % 5_000 == 4_999:
            pipe.execute()
    pipe.execute()
    client.close()
    return 2 * n + 2


def naive(src: Any, dst: Any, prefix: str, new: str, n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        key = f"{prefix}{i}"
        value, pttl = src.get(key), src.pttl(key)
        dst.set(new + key[len(prefix) :], value, px=pttl if pttl > 0 else None)
    return n / (time.perf_counter() - started)


def pipelined(src: Any, dst: Any, prefix: str, new: str) -> float:
    """SCAN, pipelined PTTL/DUMP, pipelined RESTORE under the new prefix (``dst`` may be
    a RedisCluster: its pipeline routes each RESTORE to the node of its slot)."""
    started = time.perf_counter()
    count, cursor = 0, 0
    cut = len(prefix.encode())
    while True:
        cursor, keys = src.scan(cursor=cursor, match=prefix + "*", count=1000)
        pipe = src.pipeline(transaction=False)
        for key in keys:
            pipe.pttl(key)
            pipe.dump(key)
        replies = pipe.execute()
        out = dst.pipeline(transaction=False)
        for j, key in enumerate(keys):
            out.restore(new.encode() + key[cut:], max(replies[2 * j], 0), replies[2 * j + 1],
                        replace=True)  # fmt: skip
        out.execute()
        count += len(keys)
        if cursor == 0:
            break
    return count / (time.perf_counter() - started)


def zen_copy(home: Path, method: str = "auto", pair: tuple[str, str] = ("src", "dst")) -> Any:
    """`zen storage copy` in a child process: its report and peak RSS (KiB)."""
    env = {**os.environ, "HOME": str(home)}
    cmd = [sys.executable, "-m", "zenconfig", "storage", "copy", "--from", pair[0],
           "--to", pair[1], "--json", "--method", method]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # reaped here, with its resource usage
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.read().decode())
    return json.loads(out), int(usage.ru_maxrss)


def write_config(home: Path, connections: dict[str, Any]) -> None:
    path = home / ".zen-cli" / "config.json"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    doc = {"version": 1, "storage": {"redis": {"connections": connections}}}
    path.write_text(json.dumps(doc))
    path.chmod(0o600)


def cluster_copy_figures(threads: int) -> dict[str, float]:
    """Standalone -> 3-master Cluster: `zen storage copy` vs pipelined DUMP/RESTORE.

    ``threads`` threads of 5 turns (~200 bytes each) in the store's layout on a
    standalone server, copied (prefix rewritten) to a Cluster of three masters
    started here. Keys: copy_keys_per_s, baseline_keys_per_s, ratio (copy /
    baseline; target >= 1.5), peak_rss_mib (the copy process)."""
    import redis
    from redis.cluster import RedisCluster

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        source = servers.start(base / "source")
        nodes = servers.start_cluster(base / "cluster")
        try:
            keys = fill_threads(source, "zen:p:", threads)
            src = redis.Redis(port=source.port)
            cluster = RedisCluster(host="127.0.0.1", port=nodes[0].port)
            baseline = pipelined(src, cluster, "zen:p:", "zen:pipe:")
            cluster.close()
            src.close()
            for node in nodes:  # the baseline's keys out of the way (memory)
                node.cli("FLUSHALL")
            home = base / "home"
            seeds = [{"host": "127.0.0.1", "port": n.port} for n in nodes]
            write_config(
                home,
                {
                    "p": {"port": source.port, "key_prefix": "zen:p:"},
                    "c": {"mode": "cluster", "nodes": seeds, "key_prefix": "zen:c:"},
                },
            )
            report, rss = zen_copy(home, pair=("p", "c"))
            if not report["verified"]["ok"] or report["copied"] != keys:
                raise RuntimeError(f"the copy to the Cluster did not verify: {report}")
            rate = report["copied"] / report["seconds"]
            return {
                "copy_keys_per_s": rate,
                "baseline_keys_per_s": baseline,
                "ratio": rate / baseline,
                "peak_rss_mib": rss / 1024,
            }
        finally:
            source.stop()
            for node in nodes:
                node.stop()


def two_servers(keys: int, big: int, naive_keys: int) -> bool:
    import redis

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        home = base / "home"
        a = servers.start(base / "a", conf="maxmemory 0\n")
        b = servers.start(base / "b")
        try:
            fill(a, "src:", keys)
            src, dst = redis.Redis(port=a.port), redis.Redis(port=b.port)
            rate_naive = naive(src, dst, "src:", "naive:", naive_keys)
            rate_pipe = pipelined(src, dst, "src:", "pipe:")
            pair = {"src": {"port": a.port, "key_prefix": "src:"}}
            write_config(home, {**pair, "dst": {"port": b.port, "key_prefix": "zen:"}})
            report, rss_small = zen_copy(home)
            assert report["verified"]["ok"], report
            rate_zen = report["copied"] / report["seconds"]
            write_config(home, {**pair, "dst": {"port": b.port, "key_prefix": "zenmig:"}})
            migrate_report, _ = zen_copy(home, "migrate")
            rate_migrate = migrate_report["copied"] / migrate_report["seconds"]
            print(f"\ncopy of {keys:,} keys (~1 KB, TTLs) between two servers, prefix rewritten")
            print(f"  naive GET/PTTL/SET ({naive_keys:,} keys) {rate_naive:10,.0f} keys/s  "
                  f"{rate_naive / rate_pipe:5.2f}x")  # fmt: skip
            print(f"  pipelined DUMP/RESTORE (baseline)   {rate_pipe:10,.0f} keys/s   1.00x")
            print(f"  zen storage copy --method migrate   {rate_migrate:10,.0f} keys/s  "
                  f"{rate_migrate / rate_pipe:5.2f}x")  # fmt: skip
            ok = rate_zen / rate_pipe >= 2
            mark = "ok" if ok else "MISSED"
            print(f"  zen storage copy ({report['method']:<7})         {rate_zen:10,.0f} keys/s  "
                  f"{rate_zen / rate_pipe:5.2f}x  target >= 2x: {mark}")  # fmt: skip
            for client in (src, dst):
                client.close()
            b.cli("FLUSHALL")
            fill(a, "src:big:", big - keys)
            write_config(home, {**pair, "dst": {"port": b.port, "key_prefix": "big:"}})
            big_report, rss_big = zen_copy(home)
            flat = rss_big / rss_small < 1.5
            print(f"\npeak RSS of the copy process: {rss_small / 1024:,.0f} MiB at {keys:,} keys, "
                  f"{rss_big / 1024:,.0f} MiB at {big_report['copied']:,} keys "
                  f"({rss_big / rss_small:.2f}x; target: flat)")  # fmt: skip
            return ok and flat
        finally:
            a.stop()
            b.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--naive", type=int, default=10_000, help="keys for the naive baseline")
    parser.add_argument("--threads", type=int, default=100_000, help="threads for the Cluster")
    args = parser.parse_args()
    ok = two_servers(args.keys, args.big, args.naive)
    figures = cluster_copy_figures(args.threads)
    hit = figures["ratio"] >= 1.5
    print(f"\ncopy of {args.threads:,} threads x 5 turns, standalone -> 3-master Cluster")
    print(f"  pipelined DUMP/RESTORE (baseline)   {figures['baseline_keys_per_s']:10,.0f} keys/s"
          "   1.00x")  # fmt: skip
    print(f"  zen storage copy                    {figures['copy_keys_per_s']:10,.0f} keys/s  "
          f"{figures['ratio']:5.2f}x  target >= 1.5x: {'ok' if hit else 'MISSED'}")  # fmt: skip
    print(f"  peak RSS of the copy process        {figures['peak_rss_mib']:10,.0f} MiB")
    return 0 if ok and hit else 1


if __name__ == "__main__":
    raise SystemExit(main())
