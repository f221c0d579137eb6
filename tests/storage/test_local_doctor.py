"""zenconfig.storage.local_doctor: findings on size, layout, damage, permissions and journal."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from zenconfig import spec
from zenconfig.storage import local
from zenconfig.storage.local_doctor import Check, check_database, size


@pytest.fixture(autouse=True)
def closed() -> Iterator[None]:
    yield
    local.close_all()


def findings(path: Path) -> list[Check]:
    return check_database(spec.LocalSpec(path=str(path)))


def by_check(path: Path) -> dict[str, Check]:
    return {f.check: f for f in findings(path) if f.check != "local database permissions"}


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (1024, "1.0 KB"),
        (1536, "1.5 KB"),
        (5 * 1024**2 + 1024**2 // 4, "5.2 MB"),
        (3 * 1024**3, "3.0 GB"),
        (2048 * 1024**3, "2048.0 GB"),  # no unit past GB
    ],
)
def test_size(count: int, text: str) -> None:
    assert size(count) == text


def test_a_large_database_is_measured_with_its_log(tmp_path: Path) -> None:
    path = tmp_path / "conv.db"
    store = local.open_store(spec.LocalSpec(path=str(path)))
    for i in range(40):
        store.thread_merge(
            f"t{i}", {"tool_name": "chat"}, [f"{i}-{j}" + "x" * 9000 for j in range(6)], 100, 10
        )
    on_disk = path.stat().st_size + Path(f"{path}-wal").stat().st_size
    assert on_disk > 2 * 1024**2
    found = by_check(path)["local database"]
    assert found.status == "ok"
    assert found.detail == f"{path}: {size(on_disk)}, layout 1, 40 thread rows (expired included)"
    assert " MB, " in found.detail


def test_damage_is_reported_short_and_printable(tmp_path: Path) -> None:
    path = tmp_path / "conv.db"
    store = local.open_store(spec.LocalSpec(path=str(path)))
    for i in range(200):
        store.thread_merge(f"t{i}", {"tool_name": "c" * 300}, ["x" * 500, "y" * 500], 100, 10)
    store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    local.close_all()
    data = bytearray(path.read_bytes())
    for at in range(3 * 4096 + 100, len(data), 4096):  # scribble inside every later page
        data[at : at + 40] = b"\xff" * 40
    path.write_bytes(bytes(data))
    found = by_check(path)["local database integrity"]
    assert found.status == "fail" and found.detail.startswith("damaged: ")
    assert "\n" not in found.detail and "\\x0a" in found.detail  # SQLite's lines, escaped
    assert found.detail.endswith("…")  # each problem cut at 200 characters
    assert len(found.detail.replace("\\x0a", "\n")) <= len("damaged: ") + 5 * 201 + 4 * 2


def test_a_newer_or_foreign_database_fails_after_the_permission_findings(tmp_path: Path) -> None:
    path = tmp_path / "conv.db"
    local.open_store(spec.LocalSpec(path=str(path))).set("k", "v")
    local.close_all()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 7")
    conn.close()
    found = findings(path)
    assert [(f.check, f.status) for f in found] == [
        ("local database permissions", "ok"),
        ("local database permissions", "ok"),
        ("local database", "fail"),
    ]
    assert "layout version 7; this zenconfig knows up to 1" in found[-1].detail
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA application_id = 42")
    conn.close()
    assert findings(path)[-1].detail == (
        f"not a zen conversations database (another program's SQLite file) ({path})"
    )


def test_an_empty_file_in_rollback_mode_is_noted_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "conv.db"
    path.touch(mode=0o600)  # what a crash right after creating the file leaves
    found = by_check(path)
    assert (found["local database"].status, found["local database"].detail) == (
        "ok",
        f"{path}: 0 bytes, layout 0, empty",
    )
    journal = found["local database journal"]
    assert (journal.status, journal.detail) == ("warn", "journal mode delete (WAL at next use)")
    assert path.stat().st_size == 0 and not Path(f"{path}-wal").exists()


def test_a_directory_others_can_read_is_a_warning_with_the_fix(tmp_path: Path) -> None:
    directory = tmp_path / "d"
    directory.mkdir()
    directory.chmod(0o755)
    path = directory / "conv.db"
    local.open_store(spec.LocalSpec(path=str(path))).set("k", "v")
    perms = [f for f in findings(path) if f.check == "local database permissions"]
    assert [(f.status, f.detail) for f in perms] == [
        ("ok", f"{path} is 0600"),
        ("warn", f"{directory} is 0755: others can read it; run: chmod 700 '{directory}'"),
    ]
    assert os.stat(directory).st_mode & 0o777 == 0o755  # the doctor changes nothing
