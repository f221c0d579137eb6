"""The local store across processes: concurrent appends, SIGKILLs, persistence,
the data commands, and which modules each path loads."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from tests.conftest import ROOT, run_zen

WRITER = """
import os, sys, time
from zenconfig import ConversationStore, open_storage
tid, count, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
conv = ConversationStore(open_storage())
while not os.path.exists(go):
    time.sleep(0.002)
stored = sum(conv.add_turn(tid, "user", f"{os.getpid()}:{i}") for i in range(count))
print(stored, count - stored)
"""

KILLED = """
import sys
from zenconfig import ConversationStore, open_storage
store = open_storage()
conv = ConversationStore(store)
name, i = sys.argv[1], 0
while True:
    if i % 25 == 0:
        tid = conv.create_thread("chat", thread_id=f"{name}-{i}")
        store.set(f"mark:{name}", str(i))
    assert conv.add_turn(tid, "user", f"{name}:{i}")
    print(f"{tid} {name}:{i}", flush=True)
    i += 1
"""


def local_env(home: Path, **settings: Any) -> dict[str, str]:
    """A child's environment: a config file choosing the local store in ``home``."""
    config = home / ".zen-cli" / "config.json"
    config.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    local = {"path": str(home / "data" / "conv.db"), **settings}
    config.write_text(json.dumps({"version": 1, "storage": {"type": "local", "local": local}}))
    config.chmod(0o600)
    return {**os.environ, "HOME": str(home), "PYTHONPATH": str(ROOT)}


def python(code: str, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def appenders(home: Path, env: dict[str, str], processes: int, each: int) -> tuple[int, int, str]:
    from zenconfig import ConversationStore, open_storage

    tid = ConversationStore(open_storage(config=home / ".zen-cli" / "config.json")).create_thread(
        "chat"
    )
    go = home / "go"
    children = [python(WRITER, tid, str(each), str(go), env=env) for _ in range(processes)]
    time.sleep(0.3)
    go.touch()
    stored = refused = 0
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        ok, no = map(int, out.split())
        stored, refused = stored + ok, refused + no
    return stored, refused, tid


def turns_of(home: Path, tid: str) -> list[str]:
    with sqlite3.connect(home / "data" / "conv.db") as conn:
        return [r[0] for r in conn.execute("SELECT body FROM turns WHERE thread_id = ?", (tid,))]


def test_eight_processes_fifty_appends_each_lose_nothing(home: Path) -> None:
    env = local_env(home, max_turns=1000)
    stored, refused, tid = appenders(home, env, processes=8, each=50)
    assert (stored, refused) == (400, 0)
    turns = turns_of(home, tid)
    assert len(turns) == 400 and len({json.loads(t)["content"] for t in turns}) == 400


def test_max_turns_holds_exactly_under_contention(home: Path) -> None:
    env = local_env(home, max_turns=50)
    stored, refused, tid = appenders(home, env, processes=8, each=50)
    assert (stored, refused) == (50, 350)
    assert len(turns_of(home, tid)) == 50


def test_sigkill_at_random_moments_loses_no_acknowledged_turn(home: Path) -> None:
    env = local_env(home, max_turns=100000)
    rng = random.Random(int(os.environ.get("ZEN_TEST_SEED", "1")))
    acknowledged: dict[str, list[str]] = {}
    kills = 0
    for round_ in range(10):
        writers = [python(KILLED, f"w{round_}{n}", env=env) for n in range(2)]
        firsts = []
        for writer in writers:
            assert writer.stdout is not None
            firsts.append(writer.stdout.readline())  # started and writing
            assert firsts[-1].endswith("\n"), writer.stderr.read() if writer.stderr else ""
        for writer in writers:
            time.sleep(rng.uniform(0.0, 0.25))
            writer.send_signal(signal.SIGKILL)
            kills += 1
        for writer, first in zip(writers, firsts, strict=True):
            assert writer.stdout is not None
            out = writer.stdout.read()  # the same buffered reader as readline()
            assert writer.wait(timeout=60) == -signal.SIGKILL
            for line in [first, *out.splitlines(keepends=True)]:
                if line.endswith("\n"):  # a whole acknowledgement
                    tid, content = line.split()
                    acknowledged.setdefault(tid, []).append(content)
    assert kills == 20
    with sqlite3.connect(home / "data" / "conv.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        for tid, contents in acknowledged.items():
            rows = conn.execute(
                "SELECT body FROM turns WHERE thread_id = ? ORDER BY seq", (tid,)
            ).fetchall()
            stored = [json.loads(body)["content"] for (body,) in rows]
            assert stored[: len(contents)] == contents, tid
            counted = conn.execute("SELECT turns FROM threads WHERE id = ?", (tid,)).fetchone()
            assert counted == (len(stored),)
    assert sum(map(len, acknowledged.values())) > 20


def test_persists_across_processes_and_the_data_commands_see_it(home: Path) -> None:
    env = local_env(home)
    wrote = subprocess.run(
        [
            sys.executable,
            "-c",
            "from zenconfig import ConversationStore, open_storage\n"
            "c = ConversationStore(open_storage())\n"
            "t = c.create_thread('chat', thread_id='t1')\n"
            "c.add_turn(t, 'user', 'remember me')\n"
            "open_storage().setex('zen:key', 300, 'kept')",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wrote.returncode == 0, wrote.stderr
    env_args = {"HOME": str(home)}
    shown = run_zen("storage", "show", "t1", "--json", env=env_args)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["turns"][0]["content"] == "remember me"
    listed = run_zen("storage", "threads", "--json", env=env_args)
    assert [t["thread_id"] for t in json.loads(listed.stdout)] == ["t1"]
    exported = run_zen("storage", "export", env=env_args)
    assert exported.returncode == 0 and '"remember me"' in exported.stdout
    current = run_zen("config", "current", env=env_args)
    assert current.stdout.startswith("local  (from storage.type 'local'")
    read = run_zen("--memory", "storage", "threads", "--json", env=env_args)
    assert json.loads(read.stdout) == []  # the flag wins over the file


PROBE = """
import json, sys
from zenconfig import open_storage
store = open_storage(**json.loads(sys.argv[1]))
store.set_with_ttl("probe", 60, "v")
assert store.get("probe") == "v"
tid = "probe-thread"
store.thread_create(tid, {"tool_name": "chat"}, 60)
store.thread_append(tid, "{}", "now", 60, 50)
store.thread_read(tid)
print(json.dumps({"kind": store.kind, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def probe(env: dict[str, str], **kwargs: Any) -> tuple[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(kwargs)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    return result["kind"], set(result["modules"])


def test_memory_and_redis_paths_import_no_sqlite3(
    home: Path, write_config, redis_server: servers.Server, unique_prefix: str
) -> None:
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(ROOT)}
    assert probe(env) == ("memory", probe(env)[1]) and "sqlite3" not in probe(env)[1]
    write_config({"p1": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p1")
    kind, modules = probe(env)
    assert kind == "redis" and "redis" in modules
    assert "sqlite3" not in modules and "_sqlite3" not in modules


def test_the_local_path_loads_sqlite3_but_not_pydantic(home: Path) -> None:
    env = local_env(home)
    kind, modules = probe(env, local=True)
    assert kind == "local" and "sqlite3" in modules
    assert modules & {"pydantic", "redis", "keyring", "pydantic_settings"} == set()


@pytest.mark.parametrize("how", [{"ZEN_STORAGE_TYPE": "file"}, {"ZEN_STORAGE_TYPE": "local"}])
def test_zen_storage_type_selects_the_local_store(home: Path, how: dict[str, str]) -> None:
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(ROOT), **how}
    assert probe(env)[0] == "local"
    assert (home / ".zen-cli" / "conversations.db").stat().st_mode & 0o777 == 0o600
    assert (home / ".zen-cli").stat().st_mode & 0o777 == 0o700


OPENER = """
import os, sys, time
from zenconfig import spec
from zenconfig.storage import local
while not os.path.exists(sys.argv[2]):
    time.sleep(0.0005)
local.open_store(spec.LocalSpec(path=sys.argv[1])).set(f"k{os.getpid()}", "v")
"""


def test_eight_processes_creating_one_new_database_at_once(tmp_path: Path) -> None:
    """Switching a new file to WAL needs it to itself; the openers that lose
    that race wait (bounded) rather than fail."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for round_ in range(3):
        path, go = tmp_path / f"new{round_}.db", tmp_path / f"go{round_}"
        children = [python(OPENER, str(path), str(go), env=env) for _ in range(8)]
        time.sleep(0.4)
        go.touch()
        for child in children:
            _, err = child.communicate(timeout=60)
            assert child.returncode == 0, err
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT count(*) FROM kv").fetchone() == (8,)
