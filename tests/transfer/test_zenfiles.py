"""``zen storage import --from-zen-files``: zen-cli's file store (``~/.zen/conversations``)
read defensively and written through zen's own API, on a real redis-server and the local
store. The sample files are byte for byte what zen-cli writes (indent 2, no trailing
newline, the colon kept in the name)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests import servers
from zenconfig import ConversationStore, open_storage
from zenconfig.errors import ExitCode
from zenconfig.runtime.compat import ZenBackend
from zenconfig.storage.base import meta_key
from zenconfig.transfer import zenfiles

TID = "a414d4a2-261a-46e4-8787-9785d7be5acc"
SESSION = "workflow_session:planner_1728483022_a3f9b2c1"


def thread_document() -> dict:
    return {
        "thread_id": TID,
        "parent_thread_id": None,
        "created_at": "2026-11-26T00:30:12.975942+00:00",
        "last_updated_at": "2026-11-26T00:30:12.976855+00:00",
        "tool_name": "chat",
        "turns": [
            {
                "role": "user", "content": "hi", "timestamp": "2026-11-26T00:30:12.976468+00:00",
                "files": [], "images": [], "tool_name": "chat", "model_provider": None,
                "model_name": None, "model_metadata": None,
            },
            {
                "role": "assistant", "content": "hello",
                "timestamp": "2026-11-26T00:30:12.976843+00:00", "files": [], "images": [],
                "tool_name": "chat", "model_provider": "google", "model_name": "gemini-2.5-flash",
                "model_metadata": {"usage": {"input_tokens": 1}, "metadata": {}},
            },
        ],
        "initial_context": {
            "prompt": "hi", "absolute_file_paths": [], "images": [],
            "working_directory_absolute_path": "/tmp",
        },
    }  # fmt: skip


def session_document() -> dict:
    return {
        "session_id": "planner_1728483022_a3f9b2c1", "tool_name": "planner", "step_number": 2,
        "total_steps": 3, "next_step_required": True, "findings": "g", "files_checked": [],
        "relevant_files": [], "relevant_context": [], "confidence": "exploring",
        "issues_found": [], "hypotheses": [], "last_arguments": {"step": "s2"},
        "created_at": "2026-11-26T00:30:12.978734+00:00",
        "last_updated": "2026-11-26T00:30:12.978937+00:00",
    }  # fmt: skip


def write_entry(directory: Path, key: str, value: object, left: float = 3600) -> Path:
    """A file as zen-cli's FileBasedStorage.set writes it."""
    now = time.time()
    data = {"value": value, "expires_at": now + left, "created_at": now}
    path = directory / f"{key.replace('/', '_')}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


@pytest.fixture
def zen_dir(home: Path) -> Path:
    directory = home / ".zen" / "conversations"
    directory.mkdir(parents=True)
    write_entry(directory, f"thread:{TID}", thread_document())
    write_entry(directory, SESSION, session_document(), left=600)
    write_entry(directory, "thread:0badc0de-0000-0000-0000-000000000000", thread_document(), -5)
    return directory


@pytest.fixture
def project(write_config, redis_server: servers.Server, unique_prefix: str) -> None:
    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p")


def test_the_zen_cli_sample_is_imported_through_zens_api(zen, project, zen_dir: Path) -> None:
    r = zen("storage", "import", "--from-zen-files")
    assert r.code == 0, r
    assert r.err == (
        "zen: imported 1 thread(s) and 1 other key(s) from zen-cli's files into p "
        "(1 expired, 0 skipped)\n"
    )
    thread = ConversationStore(open_storage()).get_thread(TID)
    assert thread is not None and thread.tool_name == "chat"
    assert [(t.role, t.content) for t in thread.turns] == [("user", "hi"), ("assistant", "hello")]
    assert thread.turns[1].model_metadata == {"usage": {"input_tokens": 1}, "metadata": {}}
    assert thread.initial_context["working_directory_absolute_path"] == "/tmp"
    backend = ZenBackend(open_storage())
    assert backend.get(f"thread:{TID}") == thread_document()  # zen reads back what it wrote
    assert backend.get(SESSION) == session_document()
    assert 590 <= open_storage().ttl(SESSION) <= 600  # the time it had left
    listed = zen("storage", "threads", "--json").json()
    assert [row["thread_id"] for row in listed] == [TID]
    again = zen("storage", "import", "--from-zen-files", str(zen_dir))
    assert again.code == 0 and "imported 1 thread(s)" in again.err
    thread = ConversationStore(open_storage()).get_thread(TID)
    assert thread is not None and len(thread.turns) == 2  # merged: nothing added twice


def test_the_local_store_takes_them_too(zen, home: Path, zen_dir: Path) -> None:
    r = zen("--local", "storage", "import", "--from-zen-files", str(zen_dir))
    assert r.code == 0, r
    assert "into local (1 expired, 0 skipped)" in r.err
    thread = ConversationStore(open_storage(local=True)).get_thread(TID)
    assert thread is not None and [t.content for t in thread.turns] == ["hi", "hello"]


def test_hostile_entries_are_named_and_skipped(
    zen, project, zen_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"value": {"password": "hunter2"}, "expires_at": 4e9}))
    (zen_dir / "link.json").symlink_to(secret)
    os.mkfifo(zen_dir / "fifo.json")
    (zen_dir / "dir.json").mkdir()
    (zen_dir / "deep.json").write_text('{"value": ' + "[" * 20_000 + "]" * 20_000 + "}")
    (zen_dir / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    (zen_dir / "no-value.json").write_text('{"expires_at": 1}')
    (zen_dir / "esc\x1b[2J.json").write_text("not json")
    monkeypatch.setattr(zenfiles, "MAX_BYTES", 64 * 1024)
    write_entry(zen_dir, "big", {"x": "y" * 100_000})
    (zen_dir / "README.txt").write_text("not an entry")
    started = time.monotonic()
    r = zen("storage", "import", "--from-zen-files", str(zen_dir))
    assert time.monotonic() - started < 30  # the FIFO never blocks
    assert r.code == ExitCode.ERROR
    skipped = sorted(line for line in r.err.splitlines() if line.startswith("zen: warning"))
    assert skipped == sorted(
        [
            "zen: warning: skipped big.json: larger than 0 MiB",
            "zen: warning: skipped binary.json: not JSON (not UTF-8 text)",
            "zen: warning: skipped deep.json: not JSON (nested too deeply)",
            "zen: warning: skipped dir.json: not a regular file",
            "zen: warning: skipped esc\\x1b[2J.json: not JSON (Expecting value at line 1 column 1)",
            "zen: warning: skipped fifo.json: not a regular file",
            "zen: warning: skipped link.json: a symbolic link (not followed)",
            "zen: warning: skipped no-value.json: not a zen-cli entry (no 'value')",
        ]
    )
    assert "hunter2" not in r.err + r.out and "\x1b" not in r.err
    assert "imported 1 thread(s) and 1 other key(s)" in r.err and "8 skipped" in r.err
    assert open_storage().get("link") is None
    assert ConversationStore(open_storage()).get_thread(TID) is not None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda home: home / "nowhere",
            "cannot read zen's conversations: No such file or directory",
        ),
        (lambda home: home / "file", "cannot read zen's conversations: Not a directory"),
    ],
    ids=["missing", "a file"],
)
def test_a_directory_that_cannot_be_read_is_named(zen, project, home: Path, make, message) -> None:
    (home / "file").write_text("x")
    path = make(home)
    r = zen("storage", "import", "--from-zen-files", str(path))
    assert r.code == ExitCode.ERROR
    assert r.err.startswith(f"zen: error: {message} ({path})")
    assert "hint: name zen-cli's directory: zen storage import --from-zen-files DIR" in r.err


def test_the_default_directory_is_zens(zen, project, home: Path, zen_dir: Path) -> None:
    assert zen_dir == home / ".zen" / "conversations"
    r = zen("storage", "import", "--from-zen-files")
    assert r.code == 0 and "imported 1 thread(s)" in r.err


def test_a_thread_file_whose_value_is_not_a_thread_is_kept_as_a_key(
    zen, project, zen_dir: Path
) -> None:
    write_entry(zen_dir, "thread:not-a-uuid-at-all", {"note": "not a thread"})
    r = zen("storage", "import", "--from-zen-files", str(zen_dir))
    assert r.code == 0, r
    assert "imported 1 thread(s) and 2 other key(s)" in r.err
    assert ZenBackend(open_storage()).get("thread:not-a-uuid-at-all") == {"note": "not a thread"}
    assert not open_storage().exists(meta_key("not-a-uuid-at-all"))
