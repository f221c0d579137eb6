"""zenconfig.storage.local_schema: PRAGMA user_version layouts, refusals, one step per version."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zenconfig.errors import ZenConfigError
from zenconfig.storage import local_schema
from zenconfig.storage.local_schema import APPLICATION_ID, CURRENT, check_version, migrate


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(tmp_path / "conv.db", isolation_level=None)
    yield db
    db.close()


def pragma(conn: sqlite3.Connection, name: str) -> Any:
    return conn.execute(f"PRAGMA {name}").fetchone()[0]


def migrate_in_transaction(conn: sqlite3.Connection, path: str = "conv.db") -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        migrate(conn, path)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def test_check_version_says_whether_to_migrate() -> None:
    assert check_version(0, 0, "p") is True
    assert check_version(CURRENT, APPLICATION_ID, "p") is False
    assert check_version(CURRENT, 0, "p") is False  # ours before the id was written


def test_check_version_refuses_a_newer_layout_and_another_programs_file() -> None:
    with pytest.raises(ZenConfigError) as e:
        check_version(CURRENT + 1, APPLICATION_ID, "/d/conv\x1b.db")
    assert e.value.message == (
        f"the local database has layout version {CURRENT + 1}; this zenconfig knows up to {CURRENT}"
    )
    assert e.value.hint == "upgrade zenconfig (the database is left as it is)"
    assert e.value.where == "/d/conv\\x1b.db"  # the path as text that cannot drive a terminal
    with pytest.raises(ZenConfigError) as e:
        check_version(CURRENT + 5, 0x12345678, "p")  # the owner is checked before the version
    assert e.value.message == "not a zen conversations database (another program's SQLite file)"
    assert e.value.hint == "choose another storage.local.path"


def test_migrate_a_new_file_to_the_current_layout(conn: sqlite3.Connection) -> None:
    migrate_in_transaction(conn)
    assert (pragma(conn, "user_version"), pragma(conn, "application_id")) == (
        CURRENT,
        APPLICATION_ID,
    )
    names = {
        (kind, name)
        for kind, name in conn.execute("SELECT type, name FROM sqlite_master")
        if not name.startswith("sqlite_")
    }
    assert names == {
        ("table", "kv"),
        ("table", "threads"),
        ("table", "turns"),
        ("index", "kv_by_expiry"),
        ("index", "threads_by_update"),
        ("index", "threads_by_tool"),
        ("index", "threads_by_expiry"),
    }
    before = conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    migrate_in_transaction(conn)  # already current: nothing to do
    assert conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == before


def test_a_version_0_file_holding_tables_is_refused_and_left_alone(
    conn: sqlite3.Connection,
) -> None:
    conn.execute("CREATE TABLE notes (x)")
    with pytest.raises(ZenConfigError) as e:
        migrate_in_transaction(conn, "/somewhere/notes.db")
    assert e.value.message == "not a zen conversations database (it already holds other tables)"
    assert e.value.where == "/somewhere/notes.db"
    assert (pragma(conn, "user_version"), pragma(conn, "application_id")) == (0, 0)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]


def test_steps_run_one_per_version_from_where_the_file_is(
    conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A future layout: its step runs alone on a current file, after the others on a new one."""
    ran: list[int] = []

    def to_next(db: Any) -> None:
        ran.append(pragma(db, "user_version"))
        db.execute("ALTER TABLE threads ADD COLUMN note TEXT")

    monkeypatch.setitem(local_schema.STEPS, CURRENT, to_next)
    migrate_in_transaction(conn)  # a new file, to today's layout
    monkeypatch.setattr(local_schema, "CURRENT", CURRENT + 1)
    conn.execute("INSERT INTO threads (id, updated) VALUES ('kept', 1.0)")
    migrate_in_transaction(conn)
    assert ran == [CURRENT] and pragma(conn, "user_version") == CURRENT + 1
    assert conn.execute("SELECT id, note FROM threads").fetchall() == [("kept", None)]
    fresh = sqlite3.connect(":memory:", isolation_level=None)
    migrate_in_transaction(fresh)
    assert ran == [CURRENT, CURRENT] and pragma(fresh, "user_version") == CURRENT + 1
    fresh.close()
