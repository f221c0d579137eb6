"""zenconfig.configfile.writing: serialising, atomic private writes, stale temp files, the lock."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from zenconfig.configfile import parsing, writing
from zenconfig.configfile.writing import (
    STALE_UNNAMED_SECONDS,
    atomic_write,
    drop_none,
    ensure_private_dir,
    locked,
    serialize,
    write_error,
)
from zenconfig.errors import ExitCode, LockTimeoutError, ZenConfigError


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def test_drop_none_removes_nulls_only_at_every_depth() -> None:
    doc: dict[str, Any] = {
        "a": None,
        "b": {"c": None, "d": [None, 0, {"e": None, "f": False}, []]},
        "g": "",
    }
    assert drop_none(doc) == {"b": {"d": [0, {"f": False}, []]}, "g": ""}
    assert doc["a"] is None  # the input is left as it was


def test_serialize_json_keeps_text_readable_and_ends_with_a_newline() -> None:
    doc = {"version": 1, "storage": {"redis": {"connections": {"p": {"host": "hôte-✓"}}}}}
    data = serialize(doc, Path("config.json"))
    assert data.endswith(b"}\n")
    assert "hôte-✓".encode() in data  # not \u escapes
    assert b'\n  "storage": {\n    "redis"' in data  # two-space indent
    assert json.loads(data) == doc


def test_serialize_toml_turns_the_schema_key_into_the_directive() -> None:
    doc = {"$schema": "./from-doc.json", "version": 1, "storage": {"fallback": None}}
    data = serialize(doc, Path("config.toml"))
    assert data.startswith(b"#:schema ./from-doc.json\n\n")
    assert b"$schema" not in data and b"fallback" not in data
    assert parsing.parse(data, Path("config.toml")) == (
        {"version": 1, "storage": {}},
        "./from-doc.json",
    )
    kept = serialize(doc, Path("CONFIG.TOML"), toml_schema="./kept.json")
    assert kept.startswith(b"#:schema ./kept.json\n\n")  # the file's own directive wins
    plain = serialize({"version": 1}, Path("config.toml"))
    assert plain == b"version = 1\n"


def test_write_error_says_what_was_being_done() -> None:
    error = write_error(OSError(errno.EROFS, "Read-only file system"), Path("/c.json"), "lock")
    assert (error.message, error.where) == (
        "cannot lock the file: Read-only file system",
        "/c.json",
    )
    assert error.hint is not None and error.hint.startswith("nothing was changed")
    assert error.exit_code == ExitCode.ERROR
    assert write_error(OSError(), Path("/c.json")).message == "cannot write the file: OSError"


def test_ensure_private_dir_creates_0700_and_leaves_existing_ones(tmp_path: Path) -> None:
    with _umask(0):
        ensure_private_dir(tmp_path / "new")
    assert _mode(tmp_path / "new") == 0o700
    existing = tmp_path / "existing"
    existing.mkdir()
    existing.chmod(0o755)
    ensure_private_dir(existing)
    assert _mode(existing) == 0o755  # not ours to change
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        ensure_private_dir(tmp_path / "file")


def test_ensure_private_dir_makes_its_parents_private_too(tmp_path: Path) -> None:
    with _umask(0o002):
        ensure_private_dir(tmp_path / "a" / "b" / "c")
    assert [_mode(tmp_path / p) for p in ("a", "a/b", "a/b/c")] == [0o700, 0o700, 0o700]


def test_atomic_write_without_backup_or_fsync_is_still_private(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "state.json"
    path.parent.mkdir()
    path.write_text("old")
    path.chmod(0o644)
    atomic_write(path, b"new", keep_backup=False, durable=False)
    assert path.read_bytes() == b"new"
    assert _mode(path) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]  # no .bak, no temp


def test_a_failed_write_names_the_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "cfg" / "config.json"
    target.mkdir(parents=True)  # something that cannot be replaced by a file
    with pytest.raises(ZenConfigError) as info:
        atomic_write(target, b"{}")
    assert info.value.message == "cannot write the file: Is a directory"
    assert info.value.where == str(target)
    assert [p.name for p in target.parent.iterdir()] == ["config.json"]


def test_temp_files_without_a_pid_are_removed_only_once_old(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    old = tmp_path / ".config.json.k3j2h1.tmp"  # an older writer's name: no pid in it
    recent = tmp_path / ".config.json.x7y8z9.tmp"
    other_file = tmp_path / ".other.json.k3j2h1.tmp"
    for item in (old, recent, other_file):
        item.write_text("half")
    past = time.time() - STALE_UNNAMED_SECONDS - 60
    for item in (old, other_file):
        os.utime(item, (past, past))
    atomic_write(path, b"{}")
    assert not old.exists()
    assert recent.exists()  # might be a writer at work
    assert other_file.exists()  # another file's temp is not ours to judge


@contextmanager
def _held_by_another_thread(path: Path) -> Iterator[None]:
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with locked(path):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(30)
        yield
    finally:
        release.set()
        holder.join(30)


def test_another_thread_holding_the_lock_times_out_by_zen_lock_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.json"
    monkeypatch.setenv("ZEN_LOCK_TIMEOUT", "0.2")
    with _held_by_another_thread(path), pytest.raises(LockTimeoutError) as info, locked(path):
        pass
    assert info.value.message == "another thread of this process held the config lock for 0.2s"
    assert info.value.where == str(path)
    assert info.value.hint == "retry, or raise ZEN_LOCK_TIMEOUT"
    with locked(path, timeout=5):  # released by its holder: free again
        pass


def test_a_link_and_its_target_are_one_lock(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "zen.json"
    link = tmp_path / "config.json"
    link.symlink_to(real)
    with (
        _held_by_another_thread(link),
        pytest.raises(LockTimeoutError) as info,
        locked(real, timeout=0.2),
    ):
        pass
    assert info.value.where == str(real)
    lock_file = real.with_name("zen.json.lock")
    assert lock_file.exists() and not link.with_name("config.json.lock").exists()
    assert _mode(lock_file) == 0o600
    assert _mode(real.parent) == 0o700  # made for the lock, before anything was written


def test_the_lock_is_released_when_its_block_raises(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    with pytest.raises(RuntimeError), locked(path), locked(path):
        raise RuntimeError("in the middle of an update")
    assert writing._path_lock(path).depth == 0
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from zenconfig.configfile import locked\n"
            "with locked(Path(sys.argv[1]), timeout=5): print('taken')",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout == "taken\n", done.stderr
