"""Copy throughput between two local redis-servers, against baselines of the same run.

    .venv/bin/python -m bench.transfer [--keys 100000] [--big 1000000]

Fills a source server with ~1 KB values with TTLs, then copies them to a second
server with a prefix rewrite three ways: naive per-key GET/PTTL/SET (on a
subset), pipelined DUMP/PTTL + RESTORE in batches of 1,000, and `zen storage
copy`. Prints keys/s and ratios (target: >= 2x the pipelined baseline), and
the copy's peak RSS at --keys and --big keys (target: flat).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests import servers

VALUE = "v" * 1000


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


def naive(src: Any, dst: Any, prefix: str, new: str, n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        key = f"{prefix}{i}"
        value, pttl = src.get(key), src.pttl(key)
        dst.set(new + key[len(prefix) :], value, px=pttl if pttl > 0 else None)
    return n / (time.perf_counter() - started)


def pipelined(src: Any, dst: Any, prefix: str, new: str) -> float:
    started = time.perf_counter()
    count, cursor = 0, 0
    while True:
        cursor, keys = src.scan(cursor=cursor, match=prefix + "*", count=1000)
        pipe = src.pipeline(transaction=False)
        for key in keys:
            pipe.pttl(key)
            pipe.dump(key)
        replies = pipe.execute()
        out = dst.pipeline(transaction=False)
        for j, key in enumerate(keys):
            out.restore(
                new + key[len(prefix) :].decode(),
                max(replies[2 * j], 0),
                replies[2 * j + 1],
                replace=True,
            )
        out.execute()
        count += len(keys)
        if cursor == 0:
            break
    return count / (time.perf_counter() - started)


def zen_copy(home: Path, method: str = "auto") -> tuple[dict[str, Any], int]:
    """`zen storage copy` in a child process: its report and peak RSS (KiB)."""
    env = {**os.environ, "HOME": str(home)}
    cmd = [
        sys.executable,
        "-m",
        "zenconfig",
        "storage",
        "copy",
        "--from",
        "src",
        "--to",
        "dst",
        "--json",
        "--method",
        method,
    ]
    proc = __import__("subprocess").Popen(cmd, env=env, stdout=-1, stderr=-1)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.read().decode())
    return json.loads(out), usage.ru_maxrss


def write_config(home: Path, a: int, b: int, pa: str, pb: str) -> None:
    path = home / ".zen-cli" / "config.json"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    doc = {
        "version": 1,
        "storage": {
            "redis": {
                "connections": {
                    "src": {"port": a, "key_prefix": pa},
                    "dst": {"port": b, "key_prefix": pb},
                }
            }
        },
    }
    path.write_text(json.dumps(doc))


def main() -> int:
    import redis

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--naive", type=int, default=10_000, help="keys for the naive baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        home = base / "home"
        a = servers.start(base / "a", conf="maxmemory 0\n")
        b = servers.start(base / "b")
        try:
            fill(a, "src:", args.keys)
            src, dst = redis.Redis(port=a.port), redis.Redis(port=b.port)
            rate_naive = naive(src, dst, "src:", "naive:", args.naive)
            rate_pipe = pipelined(src, dst, "src:", "pipe:")
            write_config(home, a.port, b.port, "src:", "zen:")
            report, rss_small = zen_copy(home)
            assert report["verified"]["ok"], report
            rate_zen = report["copied"] / report["seconds"]
            write_config(home, a.port, b.port, "src:", "zendump:")
            dump_report, _ = zen_copy(home, "dump")
            rate_dump = dump_report["copied"] / dump_report["seconds"]
            print(
                f"\ncopy of {args.keys:,} keys (~1 KB, TTLs) between two servers, prefix rewritten"
            )
            print(
                f"  naive GET/PTTL/SET ({args.naive:,} keys) {rate_naive:10,.0f} keys/s  "
                f"{rate_naive / rate_pipe:5.2f}x"
            )
            print(f"  pipelined DUMP/RESTORE (baseline)   {rate_pipe:10,.0f} keys/s   1.00x")
            print(
                f"  zen storage copy --method dump      {rate_dump:10,.0f} keys/s  "
                f"{rate_dump / rate_pipe:5.2f}x"
            )
            ok = rate_zen / rate_pipe >= 2
            print(
                f"  zen storage copy ({report['method']:<7})         {rate_zen:10,.0f} keys/s  "
                f"{rate_zen / rate_pipe:5.2f}x  target >= 2x: {'ok' if ok else 'MISSED'}"
            )
            for client in (src, dst):
                client.close()
            b.cli("FLUSHALL")
            fill(a, "src:big:", args.big - args.keys)
            write_config(home, a.port, b.port, "src:", "big:")
            big_report, rss_big = zen_copy(home)
            print(
                f"\npeak RSS of the copy process: {rss_small / 1024:,.0f} MiB "
                f"at {args.keys:,} keys, "
                f"{rss_big / 1024:,.0f} MiB at {big_report['copied']:,} keys "
                f"({rss_big / rss_small:.2f}x; target: flat)"
            )
            return 0 if ok and rss_big / rss_small < 1.5 else 1
        finally:
            a.stop()
            b.stop()


if __name__ == "__main__":
    raise SystemExit(main())
