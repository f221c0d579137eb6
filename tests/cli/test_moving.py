"""cli/moving.py: export and import as commands: where data and messages go, and the verdict."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import servers
from tests.conftest import Run
from zenconfig import ConversationStore, open_storage
from zenconfig import runtime as factory
from zenconfig.cli.moving import SHOWN_REJECTS
from zenconfig.errors import ExitCode

STAMP = "2026-01-01T00:00:00+00:00"


def _line(tid: str) -> str:
    meta = {"tool_name": "chat", "created_at": STAMP, "last_updated_at": STAMP, "thread_id": tid}
    return json.dumps(
        {"thread_id": tid, "ttl": 600, "meta": meta, "turns": [{"role": "user", "content": tid}]}
    )


@pytest.fixture
def project(
    write_config: Callable[..., Path], redis_server: servers.Server, unique_prefix: str
) -> servers.Server:
    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p")
    return redis_server


def test_export_to_stdout_is_only_the_lines(zen: Callable[..., Run], project: object) -> None:
    conversations = ConversationStore(open_storage("p"))
    made = {conversations.create_thread("chat", {"n": n}) for n in range(2)}
    factory.reset()
    r = zen("storage", "export")
    assert r.code == 0, r
    assert r.err == "zen: exported 2 thread(s) from p\n"
    assert {json.loads(line)["thread_id"] for line in r.out.splitlines()} == made
    assert len(r.out.splitlines()) == 2


def test_import_needs_a_file_or_a_dash(zen: Callable[..., Run], project: object) -> None:
    r = zen("storage", "import")
    assert (r.code, r.out) == (ExitCode.USAGE, "")
    assert r.err == "zen: error: give the FILE to import ('-' for standard input)\n"


def test_rejected_lines_are_named_up_to_a_cap_then_counted(
    zen: Callable[..., Run], project: servers.Server
) -> None:
    bad = SHOWN_REJECTS + 3
    lines = [_line("good")] + ["{not json"] * bad
    r = zen("storage", "import", "-", input="\n".join(lines) + "\n")
    assert r.code == ExitCode.ERROR, r
    named = [line for line in r.err.splitlines() if line.startswith("zen: error: line rejected:")]
    assert len(named) == SHOWN_REJECTS
    assert named[0].startswith("zen: error: line rejected: not JSON: ")
    assert [line.rsplit(" ", 1)[1] for line in (named[0], named[1], named[-1])] == [
        "(-:2)",
        "(-:3)",
        f"(-:{SHOWN_REJECTS + 1})",
    ]
    tail = r.err.splitlines()[SHOWN_REJECTS:]
    assert tail == [
        "zen: ... and 3 more rejected line(s)",
        f"zen: imported 1 thread(s) into p (0 skipped as existing, 0 replaced, {bad} rejected)",
        f"zen: error: {bad} line(s) rejected, nothing of them written (-)",
        "hint: fix those lines and import the file again (threads already there are skipped)",
    ]
    factory.reset()
    assert open_storage("p").thread_read("good")[1] != []


def test_an_import_cut_short_says_where_and_how_to_finish(
    zen: Callable[..., Run],
    write_config: Callable[..., Path],
    victim: servers.Server,
    unique_prefix: str,
    tmp_path: Path,
) -> None:
    entry = {"port": victim.port, "key_prefix": unique_prefix, "timeouts": {"socket_seconds": 1}}
    write_config({"p": entry}, default="p")
    source = tmp_path / "in.jsonl"
    source.write_text("".join(_line(f"t{n}") + "\n" for n in range(3)))
    assert victim.cli("CLIENT", "PAUSE", "30000", "WRITE") == "OK"
    try:
        r = zen("storage", "import", str(source))
    finally:
        victim.cli("CLIENT", "UNPAUSE")
    assert r.code == ExitCode.STORAGE_UNREACHABLE, r
    err = r.err.splitlines()
    assert (
        err[0] == "zen: imported 0 thread(s) into p (0 skipped as existing, 0 replaced, 0 rejected)"
    )
    assert err[1].startswith("zen: error: Redis for project 'p' did not answer a write")
    assert err[2] == (
        "hint: the import stopped after line 3; each thread is written whole, so run the same "
        "import again to finish it (threads already there are skipped)"
    )
    factory.reset()
    again = zen("storage", "import", str(source))
    assert again.code == 0, again
    counts = re.search(r"imported (\d) thread\(s\) into p \((\d) skipped", again.err)
    assert counts is not None and int(counts[1]) + int(counts[2]) == 3
