"""The quick path of ``storage threads`` and ``storage stats`` (no Typer) gives the same
answers as the full app: on generated command lines against a real redis-server, an
unreachable project and the memory store, stdout, stderr and the exit code are equal.
When the quick path declines (returns None) the full app answers alone."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests import servers
from zenconfig import open_storage
from zenconfig.cli import app, quick_storage
from zenconfig.storage.base import ThreadRecord


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A server holding threads last updated days ago that never expire, so that what
    is printed does not change between the two runs of one command line."""
    server = servers.start(tmp_path_factory.mktemp("quick"))
    yield server
    server.stop()


def _config(home: Path, port: int) -> None:
    conns = {
        "p1": {"port": port, "key_prefix": "zq:p1:"},
        "p2": {"port": port, "key_prefix": "zq:p2:"},
        "down": {"port": servers.free_port(), "key_prefix": "zq:down:"},
    }
    doc = {
        "version": 1,
        "storage": {"type": "redis", "redis": {"connections": conns, "default": "p1"}},
    }
    config = home / ".zen-cli" / "config.json"
    config.parent.mkdir(mode=0o700, exist_ok=True)
    config.write_text(json.dumps(doc))
    config.chmod(0o600)


def _fill(name: str) -> None:
    store = open_storage(name)
    if store.thread_count():
        return
    base = time.time() - 3 * 86400
    records = []
    for i in range(30):
        stamp = datetime.fromtimestamp(base - i * 3600, UTC).isoformat()
        meta = {"tool_name": "chat" if i % 2 else "re\x1bview", "created_at": stamp}
        records.append(ThreadRecord(f"t{i}", {**meta, "last_updated_at": stamp}, ["{}"] * i, None))
    # malformed (no created_at) but dated, so that "UPDATED" does not move between runs
    records.append(ThreadRecord("odd", {"tool_name": "chat", "last_updated_at": stamp}, [], None))
    store.import_threads(records, False)


roots = st.lists(
    st.sampled_from([["--memory"], ["--project", "p2"], ["--project=p1"], ["--project", "down"],
                     ["--project", "zz"], ["--local"], ["--verbose"]]),
    max_size=2,
).map(lambda parts: [token for part in parts for token in part])  # fmt: skip
commands = st.sampled_from(
    [
        ["threads"], ["threads", "--json"], ["threads", "--limit", "3"], ["threads", "-n", "2"],
        ["threads", "--limit=5", "--tool", "chat"], ["threads", "--since", "1h"],
        ["threads", "--since", "4d", "--json"], ["threads", "--since", "x"],
        ["threads", "--limit", "0"], ["threads", "--limit", "abc"], ["threads", "--tool", "none"],
        ["threads", "--project", "p2"], ["threads", "-p", "down"], ["threads", "--help"],
        ["threads", "--json", "--json"], ["threads", "--bogus"],
        ["stats"], ["stats", "--json"], ["stats", "--all"], ["stats", "--all", "--json"],
        ["stats", "--project", "p2"], ["stats", "-p", "zz"], ["stats", "--exact"],
    ]
)  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(roots, commands)
def test_quick_path_answers_like_the_full_app(
    home: Path, filled: servers.Server, root: list[str], command: list[str]
) -> None:
    _config(home, filled.port)
    _fill("p1")
    _fill("p2")
    argv = [*root, "storage", *command]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = quick_storage.answer(argv)
    full = CliRunner().invoke(app, argv, prog_name="zen")
    if code is None:
        return  # declined: the full app answers alone
    assert (code, out.getvalue(), err.getvalue()) == (full.exit_code, full.stdout, full.stderr)


def test_quick_path_takes_the_plain_forms() -> None:
    assert quick_storage.parse(["storage", "threads", "-n", "5", "--json"]) == (
        {},
        "threads",
        {"limit": 5, "--json": True},
    )
    assert quick_storage.parse(["--project=p1", "storage", "stats", "--all"]) == (
        {"--project": "p1"},
        "stats",
        {"--all": True},
    )
    for declined in (
        ["storage", "threads", "--help"],
        ["--verbose", "storage", "threads"],
        ["storage", "stats", "--exact"],
        ["storage", "threads", "--limit", "x"],
        ["storage", "threads", "--limit", "1", "--limit", "2"],
        ["storage", "threads", "-n=3"],
        ["storage", "show", "t1"],
        ["config", "list"],
    ):
        assert quick_storage.parse(declined) is None, declined


def test_the_console_script_lists_without_typer(home: Path, filled: servers.Server) -> None:
    """`zen storage threads` and `stats` load neither typer, pydantic, rich nor keyring."""
    _config(home, filled.port)
    _fill("p1")
    code = (
        "import sys\n"
        "from zenconfig.cli import main\n"
        "sys.argv = ['zen', 'storage', sys.argv[1]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('typer', 'pydantic', 'rich', 'keyring', 'sqlite3')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print('LOADED', heavy, file=sys.stderr)\n"
    )
    for command in ("threads", "stats"):
        env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
        argv = [sys.executable, "-c", code, command]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
        assert "LOADED []" in done.stderr, done.stderr
        assert "t0" in done.stdout or "p1" in done.stdout
