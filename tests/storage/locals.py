"""The local store in tests: a database file of the test's own, and rows made expired."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from zenconfig import spec
from zenconfig.storage import local
from zenconfig.storage.local_store import LocalStore


@pytest.fixture(name="store")
def store_fixture(tmp_path: Path) -> Iterator[LocalStore]:
    """``store``: a local store on a database file in the test's directory (import
    ``store_fixture`` to use it)."""
    yield local.open_store(spec.LocalSpec(path=str(tmp_path / "conv.db")))
    local.close_all()


def expire(store: LocalStore, *ids: str) -> None:
    """Rows whose time has passed and that no write has purged yet."""
    with store.db.write() as conn:
        conn.executemany(
            "UPDATE threads SET expires = ? WHERE id = ?", [(time.time() - 5, t) for t in ids]
        )
