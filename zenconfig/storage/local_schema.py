"""The local database's tables, versioned with ``PRAGMA user_version``.

Version 1::

    kv(key PRIMARY KEY, value, expires)                key/value, relative keys
    threads(id PRIMARY KEY, tool_name, created_at, last_updated_at, extra,
            turns, updated, expires)                   one row per thread
    turns(thread_id, seq, body) PRIMARY KEY (thread_id, seq)

``expires`` and ``updated`` are epoch seconds; ``expires`` NULL means no
expiry. ``updated`` (the time of the last write) orders the thread index;
``extra`` holds the meta fields other than the three columns, as a JSON
object of strings. Indexes: threads by ``updated`` (the listing, newest
first), by ``(tool_name, updated)`` (the listing of one tool), by
``expires`` (the amortised removal of expired rows); kv by ``expires``.

Upgrades are steps, one per version, like the config file's migrations:
``STEPS[n]`` takes a database at version ``n`` to ``n + 1`` inside the
migrating transaction. A database written by a newer zenconfig, or a SQLite
file that is not ours (``application_id``), is refused, never rewritten.
This module holds SQL text only; ``local`` runs it (and alone imports sqlite3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ZenConfigError
from ..text import printable

APPLICATION_ID = 0x7A656E63  # "zenc"
CURRENT = 1

V1 = """
CREATE TABLE kv (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    expires REAL
) WITHOUT ROWID;
CREATE INDEX kv_by_expiry ON kv (expires) WHERE expires IS NOT NULL;
CREATE TABLE threads (
    id TEXT PRIMARY KEY NOT NULL,
    tool_name TEXT,
    created_at TEXT,
    last_updated_at TEXT,
    extra TEXT NOT NULL DEFAULT '{}',
    turns INTEGER NOT NULL DEFAULT 0,
    updated REAL NOT NULL,
    expires REAL
);
CREATE INDEX threads_by_update ON threads (updated);
CREATE INDEX threads_by_tool ON threads (tool_name, updated);
CREATE INDEX threads_by_expiry ON threads (expires) WHERE expires IS NOT NULL;
CREATE TABLE turns (
    thread_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (thread_id, seq)
) WITHOUT ROWID;
"""


def _to_1(conn: Any) -> None:
    for statement in V1.split(";"):
        if statement.strip():
            conn.execute(statement)


STEPS: dict[int, Callable[[Any], None]] = {0: _to_1}


def check_version(version: int, app_id: int, path: str) -> bool:
    """Whether the database needs migrating; raises when it is not ours to touch."""
    if app_id not in (0, APPLICATION_ID):
        raise ZenConfigError(
            "not a zen conversations database (another program's SQLite file)",
            where=printable(path),
            hint="choose another storage.local.path",
        )
    if version > CURRENT:
        raise ZenConfigError(
            f"the local database has layout version {version}; this zenconfig knows "
            f"up to {CURRENT}",
            where=printable(path),
            hint="upgrade zenconfig (the database is left as it is)",
        )
    return version < CURRENT


def migrate(conn: Any, path: str) -> None:
    """Bring a database (inside a write transaction) to ``CURRENT``."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if not check_version(version, app_id, path):
        return
    if version == 0:
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if tables:
            raise ZenConfigError(
                "not a zen conversations database (it already holds other tables)",
                where=printable(path),
                hint="choose another storage.local.path",
            )
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    while version < CURRENT:
        STEPS[version](conn)
        version += 1
        conn.execute(f"PRAGMA user_version = {version}")


LIVE = "(expires IS NULL OR expires > :now)"
META_COLUMNS = ("tool_name", "created_at", "last_updated_at")
