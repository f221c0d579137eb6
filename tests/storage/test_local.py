"""zenconfig.storage.local: SQLite errors as ours, a connection per file, transactions, inspect."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from zenconfig import spec
from zenconfig.errors import (
    ExitCode,
    StorageUnavailableError,
    WriteRefusedError,
    ZenConfigError,
)
from zenconfig.storage import local, local_schema


@pytest.fixture(autouse=True)
def closed() -> Iterator[None]:
    yield
    local.close_all()


def caught(call: Callable[[], Any]) -> sqlite3.Error:
    try:
        call()
    except sqlite3.Error as e:
        return e
    raise AssertionError("no sqlite3 error")


def plain_db(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a PRIMARY KEY)")
        conn.execute("INSERT INTO t VALUES (1)")
    conn.close()
    return path


def test_read_only_and_unopenable_files_are_told_as_such(tmp_path: Path) -> None:
    path = plain_db(tmp_path / "x.db")
    ro = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    error = local.translate(caught(lambda: ro.execute("INSERT INTO t VALUES (2)")), "/d/x.db", 5)
    ro.close()
    assert isinstance(error, WriteRefusedError) and error.exit_code == ExitCode.ERROR
    assert error.message == "the local database is read-only; nothing was written"
    assert error.hint == "check the permissions of the file and its directory (zen config doctor)"
    missing = f"file:{tmp_path}/missing.db?mode=rw"
    error = local.translate(caught(lambda: sqlite3.connect(missing, uri=True)), "/d/m.db", 5)
    assert isinstance(error, StorageUnavailableError)
    assert error.exit_code == ExitCode.STORAGE_UNREACHABLE
    assert error.message == "cannot use the local database: unable to open database file"
    assert not (tmp_path / "missing.db").exists()


def test_other_errors_name_the_file_printably(tmp_path: Path) -> None:
    conn = sqlite3.connect(plain_db(tmp_path / "x.db"))
    error = local.translate(caught(lambda: conn.execute("INSERT INTO t VALUES (1)")), "/d\x1b/x", 5)
    conn.close()
    assert type(error) is ZenConfigError
    assert error.message == "local database error: UNIQUE constraint failed: t.a"
    assert error.where == "/d\\x1b/x"
    garbage = tmp_path / "g.db"
    garbage.write_bytes(b"not sqlite " * 500)
    bad = sqlite3.connect(garbage)
    error = local.translate(caught(lambda: bad.execute("SELECT 1 FROM sqlite_master")), "g", 5)
    bad.close()
    assert (
        error.message
        == "the local database is damaged or is not a database (file is not a database)"
    )
    assert error.hint is not None and error.hint.startswith("move it aside")


def test_one_store_per_settings_one_connection_per_file(tmp_path: Path) -> None:
    path = str(tmp_path / "conv.db")
    first = local.open_store(spec.LocalSpec(path=path, conversation_ttl_seconds=60, max_turns=5))
    assert (
        local.open_store(spec.LocalSpec(path=path, conversation_ttl_seconds=60, max_turns=5))
        is first
    )
    other = local.open_store(spec.LocalSpec(path=path, conversation_ttl_seconds=90, max_turns=5))
    assert other is not first and other.db is first.db
    assert (other.default_ttl, other.max_turns, first.default_ttl) == (90, 5, 60)
    first.set("k", "v")
    assert other.get("k") == "v"
    local.close_all()
    again = local.open_store(spec.LocalSpec(path=path, conversation_ttl_seconds=60, max_turns=5))
    assert again is not first and again.get("k") == "v"  # it was committed to the file


def test_a_transaction_is_all_or_nothing_and_errors_come_out_as_ours(tmp_path: Path) -> None:
    store = local.open_store(spec.LocalSpec(path=str(tmp_path / "conv.db")))
    db = store.db
    with pytest.raises(ValueError, match="caller's own"), db.write() as conn:
        conn.execute("INSERT INTO kv (key, value) VALUES ('half', 'x')")
        raise ValueError("caller's own")
    assert store.get("half") is None and not db.lock.locked()
    with pytest.raises(ZenConfigError) as e, db.write() as conn:
        conn.execute("INSERT INTO kv (key, value) VALUES ('half', 'x')")
        conn.execute("INSERT INTO kv (key, value) VALUES ('half', 'y')")
    assert e.value.message.startswith("local database error: UNIQUE constraint failed")
    assert isinstance(e.value.__cause__, sqlite3.IntegrityError)
    assert store.get("half") is None and not db.lock.locked()
    with pytest.raises(ZenConfigError) as e:
        db.query("SELECT * FROM no_such_table")
    assert e.value.message == "local database error: no such table: no_such_table"
    assert e.value.where == str(tmp_path / "conv.db")
    store.set("after", "ok")  # the lock was released each time
    assert store.get("after") == "ok"


def test_a_failed_migration_leaves_the_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(conn: Any) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise ZenConfigError("step failed")

    path = tmp_path / "conv.db"
    monkeypatch.setitem(local_schema.STEPS, 0, broken)
    with pytest.raises(ZenConfigError, match="step failed"):
        local.open_store(spec.LocalSpec(path=str(path)))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (0,)
        assert conn.execute("PRAGMA application_id").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    conn.close()
    monkeypatch.undo()
    local.open_store(spec.LocalSpec(path=str(path))).set("k", "v")  # migrated at the next open


def test_inspect_reads_facts_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "conv.db"
    store = local.open_store(spec.LocalSpec(path=str(path)))
    store.thread_create("t", {"tool_name": "chat"}, 100)
    facts = local.inspect(str(path))
    assert facts == {
        "journal_mode": "wal",
        "user_version": local_schema.CURRENT,
        "application_id": local_schema.APPLICATION_ID,
        "integrity": ["ok"],
        "threads": 1,
    }
    empty = tmp_path / "empty.db"
    empty.touch(mode=0o600)
    assert local.inspect(str(empty)) == {
        "journal_mode": "delete",
        "user_version": 0,
        "application_id": 0,
        "integrity": ["ok"],
    }
    assert empty.stat().st_size == 0  # not migrated, not switched to WAL
    with pytest.raises(StorageUnavailableError, match="cannot use the local database"):
        local.inspect(str(tmp_path / "missing.db"))
    assert not (tmp_path / "missing.db").exists()
