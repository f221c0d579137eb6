"""zenconfig.storage.local_path: check() makes 0600 in 0700, refuses symlink tricks and NULs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zenconfig.errors import ZenConfigError
from zenconfig.storage import local_path
from zenconfig.storage.local_path import check


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_created_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        real = check(tmp_path / "new" / "conv.db")
    finally:
        os.umask(old)
    assert real == tmp_path / "new" / "conv.db"
    assert (mode(real), mode(real.parent)) == (0o600, 0o700)
    assert real.stat().st_size == 0  # an empty file: SQLite is never let create it


def test_without_create_a_missing_file_or_directory_is_none_and_stays_missing(
    tmp_path: Path,
) -> None:
    assert check(tmp_path / "absent" / "conv.db", create=False) is None
    assert not (tmp_path / "absent").exists()
    assert check(tmp_path / "conv.db", create=False) is None
    assert not (tmp_path / "conv.db").exists()


def test_a_relative_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert check(Path("sub/conv.db")) == tmp_path / "sub" / "conv.db"
    existing = tmp_path / "mine.db"
    existing.touch(mode=0o640)  # others may read (the doctor warns), not write
    assert check(Path("mine.db"), create=False) == existing


@pytest.mark.parametrize("below", ["conv.db", "sub/conv.db"])
def test_a_file_where_the_directory_should_be(tmp_path: Path, below: str) -> None:
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / below
    with pytest.raises(ZenConfigError) as e:
        check(target)
    assert (e.value.message, e.value.where) == ("not a directory", str(target.parent))
    assert e.value.hint == local_path.HINT


def test_a_nul_in_the_path_is_refused() -> None:
    with pytest.raises(ZenConfigError) as e:
        check(Path("/tmp/a\x00b.db"))
    assert e.value.message == "storage.local.path contains a NUL character"


def test_a_file_others_can_write_says_how_to_fix_it(tmp_path: Path) -> None:
    path = tmp_path / "conv.db"
    path.touch()
    path.chmod(0o620)
    with pytest.raises(ZenConfigError) as e:
        check(path)
    assert e.value.message == "the local database can be written by others (mode 0620)"
    assert e.value.hint == f"run: chmod 600 '{path}'"
    assert mode(path) == 0o620  # refused, never changed


def test_own_symlinks_are_resolved_to_a_created_target(tmp_path: Path) -> None:
    (tmp_path / "disk").mkdir(mode=0o700)
    target = tmp_path / "disk" / "real.db"
    (tmp_path / "hop").symlink_to(target)
    (tmp_path / "conv.db").symlink_to(tmp_path / "hop")  # a link to a link
    assert check(tmp_path / "conv.db", create=False) is None  # dangling: nothing made
    assert not target.exists()
    assert check(tmp_path / "conv.db") == target
    assert mode(target) == 0o600


def test_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.db").symlink_to(tmp_path / "b.db")
    (tmp_path / "b.db").symlink_to(tmp_path / "a.db")
    with pytest.raises(ZenConfigError) as e:
        check(tmp_path / "a.db")
    assert e.value.message == "the local database path is a symlink to a symlink"


def test_a_symlink_that_appears_after_the_checks_is_not_followed(tmp_path: Path) -> None:
    """The file is opened with O_NOFOLLOW: a link swapped in is refused, not opened."""
    (tmp_path / "elsewhere.db").touch(mode=0o600)
    link = tmp_path / "conv.db"
    link.symlink_to(tmp_path / "elsewhere.db")
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for create in (True, False):
            with pytest.raises(ZenConfigError) as e:
                local_path._open_file(fd, link, create)
            assert e.value.message == "the local database path became a symlink"
            assert e.value.where == str(link)
    finally:
        os.close(fd)
