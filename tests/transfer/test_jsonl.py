"""``zen storage export``: pipelined batches written as read, a private output file that
appears whole or not at all and is never written through a link, and round trips through
``import`` on Redis, a 3-master Cluster and the local store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import servers
from tests.storage.backends import Backend, backend_fixture  # noqa: F401
from zenconfig import ConversationStore, open_storage
from zenconfig.errors import ExitCode
from zenconfig.storage.base import ThreadRecord, meta_key
from zenconfig.transfer import jsonl

STAMP = "2026-01-01T00:00:00+00:00"
META = {"tool_name": "c", "created_at": STAMP, "last_updated_at": STAMP}


def varied() -> list[ThreadRecord]:
    meta = {"tool_name": "chat", "created_at": STAMP, "last_updated_at": STAMP}
    return [
        ThreadRecord(
            "plain", {**meta, "thread_id": "plain"}, ['{"role":"user","content":"hi"}'], 900
        ),
        ThreadRecord(
            "проект-✓",
            {**meta, "thread_id": "проект-✓", "initial_context": '{"k": "ü\\u001b"}'},
            [
                '{"role":"user","content":"ключ \\u001b[31m ✓\\nline"}',
                '{"role":"assistant","content":""}',
            ],
            None,
        ),
        ThreadRecord("empty", {**meta, "thread_id": "empty"}, [], 500),
    ]


def test_export_file_is_private_and_replaces_the_old_one_whole(
    zen, write_config, redis_server, unique_prefix, tmp_path: Path
) -> None:
    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p")
    open_storage().import_threads(varied(), False)
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    target = tmp_path / "out.jsonl"
    target.write_text("old content\n")
    target.chmod(0o644)
    r = zen("storage", "export", "-o", str(target))
    assert r.code == 0, r
    assert "zen: exported 3 thread(s) from p" in r.err
    assert target.stat().st_mode & 0o777 == 0o600
    assert len(target.read_text().splitlines()) == 3 and "old content" not in target.read_text()
    assert sorted(os.listdir(tmp_path)) == ["out.jsonl"]  # no temp file left
    fresh = tmp_path / "new.jsonl"
    old_umask = os.umask(0)
    try:
        assert zen("storage", "export", "-o", str(fresh)).code == 0
    finally:
        os.umask(old_umask)
    assert fresh.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("planted", ["symlink", "dangling symlink", "other user", "fifo"])
def test_export_never_writes_through_what_was_planted(
    zen, write_config, redis_server, unique_prefix, tmp_path: Path, planted: str
) -> None:
    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p")
    open_storage().import_threads(varied(), False)
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    target = tmp_path / "out.jsonl"
    if planted == "symlink":
        target.symlink_to(victim)
        message = "the export file is a symbolic link; it is neither followed nor replaced"
    elif planted == "dangling symlink":
        target.symlink_to(tmp_path / "created-by-the-link")
        message = "the export file is a symbolic link; it is neither followed nor replaced"
    elif planted == "other user":
        target.write_text("theirs\n")
        os.chown(target, 65534, 65534)
        message = "the export file belongs to another user"
    else:
        os.mkfifo(target)
        message = "the export file exists and is not a regular file"
    r = zen("storage", "export", "-o", str(target))
    assert r.code == ExitCode.ERROR
    assert r.err.startswith(f"zen: error: {message} ({target})")
    assert victim.read_text() == "precious\n"
    assert not (tmp_path / "created-by-the-link").exists()
    assert sorted(os.listdir(tmp_path)) == ["out.jsonl", "victim"]


def test_an_export_that_fails_leaves_no_file(
    write_config, unique_prefix, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = servers.start(tmp_path / "stops")
    try:
        entry = {
            "port": server.port,
            "key_prefix": unique_prefix,
            "timeouts": {"socket_seconds": 1},
        }
        write_config({"p": entry}, default="p")
        store = open_storage()
        for start in range(0, 40, 10):
            records = [
                ThreadRecord(f"t{i}", {"tool_name": "c"}, [], 600) for i in range(start, start + 10)
            ]
            store.import_threads(records, False)
        monkeypatch.setattr(jsonl, "BATCH", 10)
        from zenconfig.core import Context, data

        target = tmp_path / "out" / "p.jsonl"
        target.parent.mkdir()
        with pytest.raises(Exception) as caught:
            data.export(
                Context.create(), target, sys.stdout.buffer, "p",
                lambda n, total=None: server.proc.send_signal(signal.SIGSTOP),
            )  # fmt: skip
        assert caught.value.exit_code == ExitCode.STORAGE_UNREACHABLE  # type: ignore[attr-defined]
        assert os.listdir(target.parent) == []
    finally:
        server.proc.send_signal(signal.SIGCONT)
        server.stop()


def snapshot(store) -> dict[str, tuple]:
    found = {}
    for batch in store.export_threads(100):
        for r in batch:
            found[r.thread_id] = (r.meta, r.turns, r.ttl)
    return found


def test_round_trip_on_every_store(zen, backend: Backend, tmp_path: Path) -> None:
    store = backend.store()
    conversations = ConversationStore(store)
    store.import_threads(varied(), False)
    tid = conversations.create_thread("review", {"prompt": "p"})
    conversations.add_turn(tid, "user", "q", files=["/a.py"], model_metadata={"n": 1})
    before = snapshot(store)
    dump = tmp_path / "dump.jsonl"
    r = zen(*backend.args, "storage", "export", "-o", str(dump))
    assert r.code == 0 and "exported 4 thread(s)" in r.err
    assert all(json.loads(line)["thread_id"] in before for line in dump.read_text().splitlines())
    assert store.thread_delete_many(list(before)) == [True] * 4
    r = zen(*backend.args, "storage", "import", str(dump))
    assert r.code == 0, r
    assert "imported 4 thread(s)" in r.err and "0 rejected" in r.err
    after = snapshot(backend.store())
    assert {t: (m, turns) for t, (m, turns, _) in after.items()} == {
        t: (m, turns) for t, (m, turns, _) in before.items()
    }
    for t, (_, _, ttl) in before.items():
        if ttl is None:
            assert after[t][2] is None
        else:
            assert after[t][2] is not None and abs(after[t][2] - ttl) <= 3
    restored = ConversationStore(backend.store()).get_thread(tid)
    assert restored is not None and restored.turns[0].files == ["/a.py"]


def test_redis_to_local_and_back(zen, write_config, redis_server, unique_prefix, tmp_path) -> None:
    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}})
    open_storage("p").import_threads(varied(), False)
    dump = tmp_path / "p.jsonl"
    assert zen("storage", "export", "--project", "p", "-o", str(dump)).code == 0
    r = zen("--local", "storage", "import", str(dump))
    assert r.code == 0 and "imported 3 thread(s) into local" in r.err, r
    assert snapshot(open_storage(local=True)).keys() == {"plain", "проект-✓", "empty"}
    assert zen("--local", "storage", "export", "-o", str(tmp_path / "l.jsonl")).code == 0
    assert (
        sorted((tmp_path / "l.jsonl").read_text().splitlines())
        == sorted(dump.read_text().splitlines())
        or len((tmp_path / "l.jsonl").read_text().splitlines()) == 3
    )


def test_bytes_that_are_not_utf8_survive_a_round_trip(
    zen, write_config, redis_server, unique_prefix, tmp_path: Path
) -> None:
    import redis

    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p")
    open_storage().import_threads(varied()[:1], False)
    raw = redis.Redis(port=redis_server.port)
    key = (unique_prefix + meta_key("plain")).encode()
    raw.hset(key, b"note", b"caf\xe9 \xff")
    dump = tmp_path / "p.jsonl"
    assert zen("storage", "export", "-o", str(dump)).code == 0
    dump.read_bytes().decode("ascii")  # escaped, still exact
    raw.delete(key, key.replace(b":meta", b":turns"))
    r = zen("storage", "import", str(dump))
    assert r.code == 0, r
    assert raw.hget(key, b"note") == b"caf\xe9 \xff"
    raw.close()
    r = zen("--local", "storage", "import", str(dump))  # SQLite keeps text: refused by line
    assert r.code == ExitCode.ERROR
    assert "line rejected: meta.note holds bytes that are not UTF-8 (\\xe9); the local" in r.err


@pytest.mark.slow
def test_export_memory_stays_flat(write_config, redis_server, unique_prefix, home: Path) -> None:
    """Peak RSS exporting 4,000 and 40,000 threads: within a few MiB of each other."""
    store_prefix = {n: f"{unique_prefix}{n}:" for n in (4000, 40000)}
    write_config(
        {f"p{n}": {"port": redis_server.port, "key_prefix": p} for n, p in store_prefix.items()}
    )
    turn = json.dumps({"role": "user", "content": "x" * 180})
    for n in store_prefix:
        store = open_storage(f"p{n}")
        for start in range(0, n, 1000):
            store.import_threads(
                [ThreadRecord(f"t{i}", META, [turn] * 5, 3600) for i in range(start, start + 1000)],
                False,
            )
    peak = {}
    code = (
        "import resource, sys\n"
        "from zenconfig.cli import main\n"
        "sys.argv = ['zen', 'storage', 'export', '--project', sys.argv[1], '-o', sys.argv[2]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    for n in store_prefix:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", code, f"p{n}", str(home / f"{n}.jsonl")],
            capture_output=True, text=True, timeout=300, env={**os.environ, "HOME": str(home)},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert len((home / f"{n}.jsonl").read_bytes().splitlines()) == n
        peak[n] = int(done.stdout.split()[-1]) / 1024
        assert time.monotonic() - started < 120
    assert peak[40000] - peak[4000] < 8, peak
