"""zen storage stats / export / import / copy against real redis-server processes."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests import servers
from zenconfig import ConversationStore, open_storage, transfer
from zenconfig.errors import ExitCode
from zenconfig.storage.memory import MemoryStore


def _fill(server: servers.Server, prefix: str, n: int, ttl: bool = True) -> None:
    import redis

    client = redis.Redis(port=server.port)
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        if ttl and i % 10:
            pipe.set(f"{prefix}k{i}", f"value-{i}-" + "x" * 100, ex=3600 + i % 1000)
        else:
            pipe.set(f"{prefix}k{i}", f"value-{i}")  # some keys never expire
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()
    client.close()


def test_stats(zen, write_config, redis_server, unique_prefix) -> None:
    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p")
    conversations = ConversationStore(open_storage())
    for i in range(3):
        tid = conversations.create_thread("chat")
        for _ in range(i + 1):
            conversations.add_turn(tid, "user", "hello")
    r = zen("storage", "stats", "--json")
    assert r.code == 0, r
    [s] = r.json()
    assert (s["project"], s["threads"], s["turns"]) == ("p", 3, 6)
    assert s["bytes"] > 0 and not s["bytes_sampled"]
    assert s["oldest_activity"] <= s["newest_activity"]
    assert 10000 < s["ttl_min"] <= s["ttl_max"] <= 10800
    assert zen("storage", "stats").out.splitlines()[0].split()[:4] == [
        "PROJECT",
        "THREADS",
        "TURNS",
        "BYTES",
    ]


def test_export_import_round_trip(zen, write_config, redis_server, unique_prefix, tmp_path) -> None:
    write_config(
        {
            "a": {
                "port": redis_server.port,
                "key_prefix": unique_prefix + "a:",
                "conversation_ttl_seconds": 5000,
            },
            "b": {"port": redis_server.port, "key_prefix": unique_prefix + "b:"},
        }
    )
    source = ConversationStore(open_storage("a"))
    ids = []
    for i in range(5):
        tid = source.create_thread("chat", {"n": i}, parent_thread_id=ids[-1] if ids else None)
        source.add_turn(tid, "user", f"question {i}", files=["/a.py"])
        source.add_turn(tid, "assistant", f"answer {i}", model_name="m", model_metadata={"t": i})
        ids.append(tid)
    dump = tmp_path / "a.jsonl"
    r = zen("storage", "export", "--project", "a", "-o", str(dump))
    assert r.code == 0, r
    assert len(dump.read_text().splitlines()) == 5
    r = zen("storage", "import", str(dump), "--project", "b")
    assert r.code == 0, r
    assert "imported 5 thread(s) into b (0 skipped" in r.err
    target = ConversationStore(open_storage("b"))
    for tid in ids:
        a, b = source.get_thread(tid), target.get_thread(tid)
        assert a is not None and b is not None
        assert a.model_dump() == b.model_dump()
        ttl = target.storage.ttl(f"thread:{{{tid}}}:meta")
        assert 4900 < ttl <= 5000  # the remaining TTL travelled with the thread
    again = zen("storage", "import", str(dump), "--project", "b")
    assert "0 thread(s) into b (5 skipped" in again.err


def test_memory_store_export_is_the_path_to_redis(redis_server, unique_prefix) -> None:
    memory = MemoryStore()
    conversations = ConversationStore(memory)
    tid = conversations.create_thread("chat")
    conversations.add_turn(tid, "user", "kept in memory")
    buffer = io.BytesIO()
    assert transfer.export(memory, buffer) == 1
    from zenconfig import spec
    from zenconfig.storage import redis as redis_backend

    store = redis_backend.open_store(
        spec.connection("r", {"port": redis_server.port, "key_prefix": unique_prefix}), None
    )
    buffer.seek(0)
    assert transfer.import_(store, buffer).imported == 1
    thread = ConversationStore(store).get_thread(tid)
    assert thread is not None and thread.turns[0].content == "kept in memory"


def test_import_rejects_garbage_with_location(
    zen, write_config, redis_server, unique_prefix, tmp_path
) -> None:
    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p")
    bad = tmp_path / "bad.jsonl"
    good = {
        "thread_id": "x",
        "ttl": 60,
        "turns": [],
        "meta": {
            "thread_id": "x",
            "tool_name": "chat",
            "created_at": "2026-01-01",
            "last_updated_at": "2026-01-01",
        },
    }
    bad.write_text(
        json.dumps(good) + "\nnot json\n" + '{"thread_id": "y", "meta": {}, "turns": []}\n'
    )
    r = zen("storage", "import", str(bad))
    assert r.code == ExitCode.ERROR
    assert f"({bad}:2)" in r.err
    bad.write_text('{"thread_id": "y", "meta": {}, "turns": []}\n')
    assert f"({bad}:1)" in zen("storage", "import", str(bad)).err


@pytest.fixture(scope="module")
def second_server(tmp_path_factory):
    server = servers.start(tmp_path_factory.mktemp("second"))
    yield server
    server.stop()


def _copy_config(write_config, src: servers.Server, dst: servers.Server, prefix: str) -> None:
    write_config(
        {
            "a": {"port": src.port, "key_prefix": prefix + "a:"},
            "b": {"port": dst.port, "key_prefix": prefix + "b:"},
        }
    )


@pytest.mark.slow
@pytest.mark.parametrize("where", ["two servers", "one server"])
def test_copy_100k_keys(
    zen, write_config, redis_server, second_server, unique_prefix, where
) -> None:
    dst = second_server if where == "two servers" else redis_server
    _copy_config(write_config, redis_server, dst, unique_prefix)
    _fill(redis_server, unique_prefix + "a:", 100_000)
    r = zen("storage", "copy", "--from", "a", "--to", "b", "--json")
    assert r.code == 0, r
    report = r.json()
    assert report["method"] == ("dump" if where == "two servers" else "copy")
    assert report["copied"] == 100_000 and report["verified"]["ok"]
    assert dst.cli("EVAL", f"return #redis.call('KEYS', '{unique_prefix}b:*')", "0") == "100000"
    for i in (1, 3, 777, 99_999):
        assert dst.cli("GET", f"{unique_prefix}b:k{i}") == redis_server.cli(
            "GET", f"{unique_prefix}a:k{i}"
        )
        src_ttl = int(redis_server.cli("TTL", f"{unique_prefix}a:k{i}"))
        assert abs(int(dst.cli("TTL", f"{unique_prefix}b:k{i}")) - src_ttl) <= 5
    assert dst.cli("TTL", f"{unique_prefix}b:k0") == "-1"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "stop"),
    [("dump", signal.SIGKILL), ("migrate", signal.SIGKILL), ("migrate", signal.SIGINT)],
)
def test_copy_killed_halfway_resumes(
    write_config, redis_server, second_server, unique_prefix, home, method: str, stop: int
) -> None:
    _copy_config(write_config, redis_server, second_server, unique_prefix)
    _fill(redis_server, unique_prefix + "a:", 100_000)
    cmd = [
        sys.executable,
        "-m",
        "zenconfig",
        "storage",
        "copy",
        "--from",
        "a",
        "--to",
        "b",
        "--method",
        method,
        "--json",
    ]
    env = {**os.environ, "HOME": str(home)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pattern = f"{unique_prefix}b:*"
    deadline = time.monotonic() + 120
    while True:
        count = int(second_server.cli("EVAL", f"return #redis.call('KEYS', '{pattern}')", "0"))
        if count >= 30_000:
            break
        assert proc.poll() is None and time.monotonic() < deadline, "copy ended too soon"
        time.sleep(0.05)
    proc.send_signal(stop)
    code = proc.wait()
    if stop == signal.SIGINT:  # Ctrl-C: a clean stop with the checkpoint kept
        assert code == 130
        assert b"zen: interrupted" in proc.stderr.read()
    checkpoint = home / ".zen-cli" / "copy-a-to-b.checkpoint"
    assert checkpoint.exists()
    partial = int(second_server.cli("EVAL", f"return #redis.call('KEYS', '{pattern}')", "0"))
    assert partial < 100_000
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["resumed"] and report["verified"]["ok"]
    assert report["copied"] + report["skipped"] >= 100_000
    assert (
        int(second_server.cli("EVAL", f"return #redis.call('KEYS', '{pattern}')", "0")) == 100_000
    )
    assert not checkpoint.exists()
    # nothing under the target's names is left behind on the source server
    assert redis_server.cli("EVAL", f"return #redis.call('KEYS', '{pattern}')", "0") == "0"
    for i in (5, 50_005, 99_999):
        source_value = redis_server.cli("GET", f"{unique_prefix}a:k{i}")
        assert second_server.cli("GET", f"{unique_prefix}b:k{i}") == source_value


def test_copy_dry_run_and_conflicts(
    zen, write_config, redis_server, second_server, unique_prefix
) -> None:
    _copy_config(write_config, redis_server, second_server, unique_prefix)
    _fill(redis_server, unique_prefix + "a:", 50)
    second_server.cli("SET", f"{unique_prefix}b:k7", "already here")
    dry_run = zen("storage", "copy", "--from", "a", "--to", "b", "--dry-run", "--json")
    assert dry_run.code == 0, dry_run
    dry = dry_run.json()
    assert (dry["copied"], dry["skipped"], dry["dry_run"]) == (49, 1, True)
    assert second_server.cli("EXISTS", f"{unique_prefix}b:k1") == "0"
    r = zen("storage", "copy", "--from", "a", "--to", "b", "--on-conflict", "fail")
    assert r.code == ExitCode.ERROR and "1 key(s) already exist" in r.err
    r = zen("storage", "copy", "--from", "a", "--to", "b", "--json")
    assert r.code == 0, r
    assert r.json()["skipped"] == 1
    assert second_server.cli("GET", f"{unique_prefix}b:k7") == "already here"
    r = zen(
        "storage",
        "copy",
        "--from",
        "a",
        "--to",
        "b",
        "--on-conflict",
        "replace",
        "--method",
        "dump",
    )
    assert r.code == 0, r
    assert second_server.cli("GET", f"{unique_prefix}b:k7") == "value-7-" + "x" * 100


@pytest.mark.parametrize("where", ["same server", "two servers"])
def test_copy_again_with_replace_verifies(
    zen, write_config, redis_server, second_server, unique_prefix, where
) -> None:
    """A target holding the threads already (and its own index): `--on-conflict replace`
    rebuilds the index, which is then not compared with the source's (it is derived)."""
    dst = redis_server if where == "same server" else second_server
    _copy_config(write_config, redis_server, dst, unique_prefix)
    for name in ("a", "b"):
        conversations = ConversationStore(open_storage(name))
        for i in range(6):
            tid = conversations.create_thread("chat", thread_id=f"{name}-{i}")
            conversations.add_turn(tid, "user", f"hello {i}")
    first = zen("storage", "copy", "--from", "a", "--to", "b", "--json")
    assert first.code == 0, first
    again = zen("storage", "copy", "--from", "a", "--to", "b", "--on-conflict", "replace", "--json")
    assert again.code == 0, again
    report = again.json()
    assert report["verified"]["ok"] is True and report["replaced"] > 0
    listed = {row["thread_id"] for row in zen("storage", "threads", "-p", "b", "--json").json()}
    assert {f"a-{i}" for i in range(6)} | {f"b-{i}" for i in range(6)} <= listed
