"""The local store: conversations in one SQLite file on this machine, no server.

The only module of the package that imports ``sqlite3``; nothing imports it
until a local store is opened. ``local_path`` decides where the file may
live (private directory, no foreign symlinks, created 0600 in 0700),
``local_schema`` what it holds, ``local_store`` and ``local_scan`` the Store
contract over it. This module owns the connection:

- Many processes at once: WAL journal (readers never block the writer), a
  busy timeout (``defaults.LOCAL_BUSY_TIMEOUT_SECONDS``), one short
  transaction per operation; writes take the write lock up front
  (``BEGIN IMMEDIATE``) so writers queue instead of failing mid-way.
- Durability: ``synchronous=NORMAL``. A commit is in the WAL file before the
  call returns, so a killed process (SIGKILL, crash) loses no acknowledged
  write and never leaves a damaged file; a power cut may lose the last
  commits, never the file (as Redis with ``appendfsync everysec``).
- One connection per database per process (``open_store`` caches stores),
  used under a lock by one thread at a time; a forked child opens its own.
- Errors become ``ZenConfigError``s naming the file: busy beyond the timeout
  is ``StorageUnavailableError`` (nothing written); disk full or a read-only
  file is ``WriteRefusedError`` (nothing written: the transaction is rolled
  back); a damaged file, or one that is not a database, says so with a hint.
  A failed commit is rolled back by SQLite, so no outcome is ever unknown.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

from .. import defaults
from ..errors import StorageUnavailableError, WriteRefusedError, ZenConfigError
from ..spec import LocalSpec
from ..text import printable
from . import local_path, local_schema
from .base import unstorable
from .local_store import LocalStore

MIN_SQLITE = (3, 35, 0)  # RETURNING
_STORES: dict[tuple[str, int, int], LocalStore] = {}
_DATABASES: dict[str, Database] = {}
_LOCK = threading.Lock()


def translate(e: sqlite3.Error, path: str, busy_timeout: float) -> ZenConfigError:
    """A sqlite3 error as ours, naming the file."""
    name = getattr(e, "sqlite_errorname", "") or ""
    where = printable(path)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StorageUnavailableError(
            f"the local database is busy: another process held it for more than "
            f"{busy_timeout:g} s; nothing was written",
            where=where,
            hint="try again; if it stays busy, see which process holds it: fuser " + where,
        )
    if name.startswith("SQLITE_FULL"):
        return WriteRefusedError(
            "the disk holding the local database is full; nothing was written",
            where=where,
            hint="free some space, then try again",
        )
    if name.startswith("SQLITE_READONLY"):
        return WriteRefusedError(
            "the local database is read-only; nothing was written",
            where=where,
            hint="check the permissions of the file and its directory (zen config doctor)",
        )
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return ZenConfigError(
            f"the local database is damaged or is not a database ({e})",
            where=where,
            hint="move it aside (your conversations stay in it) and a new one is created; "
            "check it with: zen config doctor",
        )
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PERM")):
        return StorageUnavailableError(f"cannot use the local database: {e}", where=where)
    return ZenConfigError(f"local database error: {e}", where=where)


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already
            conn.execute("ROLLBACK")


class _Transaction:
    """``with db.write() as conn:`` one transaction, under the lock, errors translated."""

    __slots__ = ("begin", "db")

    def __init__(self, db: Database, begin: str) -> None:
        self.db, self.begin = db, begin

    def __enter__(self) -> sqlite3.Connection:
        db = self.db
        db.lock.acquire()
        try:
            conn = db.connection()
            conn.execute(self.begin)
        except BaseException as e:
            db.lock.release()
            if isinstance(e, sqlite3.Error):
                raise db.translate(e) from e
            raise
        return conn

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        db = self.db
        conn = db.conn
        assert conn is not None
        try:
            if kind is None:
                try:
                    conn.execute("COMMIT")
                except sqlite3.Error as e:
                    _rollback(conn)
                    raise db.translate(e) from e
                return
            _rollback(conn)
            if isinstance(exc, sqlite3.Error):
                raise db.translate(exc) from exc
            if isinstance(exc, UnicodeEncodeError):
                raise unstorable(exc, printable(db.path)) from exc
        finally:
            db.lock.release()


class Database:
    """One database file's connection in this process."""

    def __init__(self, path: Path, busy_timeout: float) -> None:
        self.requested = path
        self.path = str(path)
        self.busy_timeout = busy_timeout
        self.lock = threading.Lock()
        self.conn: sqlite3.Connection | None = None
        self.pid = 0
        self._inherited: list[sqlite3.Connection] = []  # never used nor closed after a fork
        self._write = _Transaction(self, "BEGIN IMMEDIATE")
        self._read = _Transaction(self, "BEGIN")

    def write(self) -> _Transaction:
        return self._write

    def read(self) -> _Transaction:
        return self._read

    def translate(self, e: sqlite3.Error) -> ZenConfigError:
        return translate(e, self.path, self.busy_timeout)

    def connection(self) -> sqlite3.Connection:
        if self.conn is None or self.pid != os.getpid():
            if self.conn is not None:
                self._inherited.append(self.conn)
            self.conn = self._connect()
            self.pid = os.getpid()
        return self.conn

    def query(self, sql: str, params: Any = ()) -> list[Any]:
        """One statement (its own snapshot), all rows."""
        with self.lock:
            try:
                return self.connection().execute(sql, params).fetchall()
            except sqlite3.Error as e:
                raise self.translate(e) from e

    def _connect(self) -> sqlite3.Connection:
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise ZenConfigError(
                f"the local store needs SQLite {'.'.join(map(str, MIN_SQLITE))} or later; "
                f"this Python has {sqlite3.sqlite_version}"
            )
        real = local_path.check(self.requested)
        assert real is not None
        self.path = str(real)
        uri = "file:" + quote(self.path) + "?mode=rw"  # never let SQLite create the file
        try:
            conn = sqlite3.connect(
                uri,
                uri=True,
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
                cached_statements=64,
            )
        except sqlite3.Error as e:
            raise self.translate(e) from e
        try:
            mode = self._journal_wal(conn)
            if mode != "wal":
                raise ZenConfigError(
                    f"the local database cannot use a write-ahead log (journal mode {mode})",
                    where=printable(self.path),
                    hint="keep it on a local file system (not a network share)",
                )
            conn.execute("PRAGMA synchronous = NORMAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            if local_schema.check_version(version, app_id, self.path):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    local_schema.migrate(conn, self.path)
                    conn.execute("COMMIT")
                except BaseException:
                    _rollback(conn)
                    raise
        except sqlite3.Error as e:
            conn.close()
            raise self.translate(e) from e
        except BaseException:
            conn.close()
            raise
        return conn

    def _journal_wal(self, conn: sqlite3.Connection) -> str:
        """Switch to WAL (once per file). The switch needs the file to itself and
        SQLite answers busy at once rather than waiting, so it is tried again
        until the busy timeout; setting the journal mode is idempotent."""
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                mode: str = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                return mode
            except sqlite3.OperationalError as e:
                busy = (getattr(e, "sqlite_errorname", "") or "").startswith("SQLITE_BUSY")
                if not busy or time.monotonic() >= deadline:
                    raise
                time.sleep(0.005)

    def close(self) -> None:
        with self.lock:
            if self.conn is not None and self.pid == os.getpid():
                self.conn.close()
            self.conn = None


def _after_fork_in_child() -> None:
    """A lock held by another thread at the fork would never be released in the
    child: give each database a fresh one (its connection is replaced at first use)."""
    for db in _DATABASES.values():
        db.lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def open_store(
    local: LocalSpec,
    config_path: str | os.PathLike[str] | None = None,
    *,
    busy_timeout: float = defaults.LOCAL_BUSY_TIMEOUT_SECONDS,
) -> LocalStore:
    """This process's store for ``local`` (one connection per file, opened now)."""
    path = local.resolved(config_path)
    key = (str(path), local.conversation_ttl_seconds, local.max_turns)
    with _LOCK:
        store = _STORES.get(key)
        if store is None:
            db = _DATABASES.get(str(path))
            if db is None:
                db = Database(path, busy_timeout)
            with db.lock:
                db.connection()  # a bad path or file fails here, not at the first call
            _DATABASES[str(path)] = db
            store = _STORES[key] = LocalStore(
                db, default_ttl=local.conversation_ttl_seconds, max_turns=local.max_turns
            )
        return store


def close_all() -> None:
    """Close every connection this process opened (tests; hosts reconfiguring)."""
    with _LOCK:
        for db in _DATABASES.values():
            db.close()
        _DATABASES.clear()
        _STORES.clear()


def inspect(path: str) -> dict[str, Any]:
    """Read-only facts about a database file for ``local_doctor``: journal mode,
    layout version, application id, ``PRAGMA integrity_check``, thread rows.
    Nothing is created or changed."""
    try:
        conn = sqlite3.connect("file:" + quote(path) + "?mode=ro", uri=True, timeout=2.0)
        try:
            facts = {
                name: conn.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "user_version", "application_id")
            }
            facts["integrity"] = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            if "threads" in tables:
                facts["threads"] = conn.execute("SELECT count(*) FROM threads").fetchone()[0]
            return facts
        finally:
            conn.close()
    except sqlite3.Error as e:
        raise translate(e, path, 2.0) from e
