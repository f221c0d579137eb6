"""zenconfig.trust: the verdict on an opened file: its owner, its mode, the directories above it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zenconfig import trust
from zenconfig.trust import Trust

NOBODY = 65534
NO_SUCH_USER = 54321  # no passwd entry: named by its uid alone


def _private(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def _file(path: Path, mode: int = 0o600) -> Path:
    path.write_text("{}")
    path.chmod(mode)
    return path


@pytest.mark.parametrize(
    ("mode", "uid", "problem"),
    [
        (0o600, None, None),
        (0o644, None, None),  # readable by others is fine
        (0o620, None, "is writable by group or others"),  # group alone counts
        (0o602, None, "is writable by group or others"),
        (0o600, NOBODY, "belongs to nobody (uid 65534), not to you"),
        (0o666, NO_SUCH_USER, f"belongs to uid {NO_SUCH_USER}, not to you"),  # owner first
    ],
)
def test_file_problem(tmp_path: Path, mode: int, uid: int | None, problem: str | None) -> None:
    path = _file(tmp_path / "f", mode)
    if uid is not None:
        os.chown(path, uid, uid)
    assert trust.file_problem(os.stat(path)) == problem


@pytest.mark.parametrize(
    ("mode", "uid", "problem"),
    [
        (0o755, None, None),
        (0o770, None, "is writable by group or others"),
        (0o1777, None, None),  # sticky and yours (or root's): others cannot swap entries
        (0o1777, NOBODY, "belongs to nobody (uid 65534), not to you"),  # sticky is not enough
        (0o700, NOBODY, "belongs to nobody (uid 65534), not to you"),
    ],
)
def test_directory_problem(tmp_path: Path, mode: int, uid: int | None, problem: str | None) -> None:
    directory = tmp_path / "d"
    directory.mkdir()
    directory.chmod(mode)
    if uid is not None:
        os.chown(directory, uid, uid)
    assert trust.directory_problem(os.stat(directory)) == problem
    assert trust.directory_problem(os.stat(_file(tmp_path / "f"))) == "is not a directory"


def test_the_file_is_judged_before_its_directories_and_the_nearest_first(tmp_path: Path) -> None:
    top = _private(tmp_path / "top")
    middle = _private(top / "middle")
    path = _file(middle / "config.json", 0o666)
    top.chmod(0o777)
    middle.chmod(0o777)
    real = str(path)
    assert trust.of_path(path) == Trust(real, f"{real} is writable by group or others", real)
    path.chmod(0o600)
    assert trust.of_path(path) == Trust(
        real, f"{middle} is writable by group or others", str(middle)
    )
    middle.chmod(0o700)
    assert trust.of_path(path) == Trust(real, f"{top} is writable by group or others", str(top))
    top.chmod(0o700)
    verdict = trust.of_path(path)
    assert verdict.trusted and verdict == Trust(real)


def test_a_symlink_is_judged_by_what_it_opens(tmp_path: Path) -> None:
    private = _private(tmp_path / "private")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    target = _file(private / "real.json")
    link = shared / "link.json"  # the link sits where anyone could swap it
    link.symlink_to(target)
    assert trust.of_path(link) == Trust(str(target))
    other = _file(shared / "other.json")
    link.unlink()
    link.symlink_to(other)  # swapped: now it opens a file in the shared directory
    assert trust.of_path(link).problem == f"{shared} is writable by group or others"
    assert trust.of_path(link).path == str(other)


def test_a_path_that_cannot_be_opened(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    assert trust.of_path(missing) == Trust(
        str(missing), f"{missing} cannot be opened: No such file or directory", str(missing)
    )
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(missing)
    assert not trust.of_path(dangling).trusted


def test_a_file_removed_while_open_is_not_trusted(tmp_path: Path) -> None:
    path = _file(_private(tmp_path / "cfg") / "config.json")
    fd = os.open(path, os.O_RDONLY)
    try:
        assert trust.of_descriptor(fd, path).trusted
        replacement = _file(path.with_name("new.json"))
        os.replace(replacement, path)  # the opened inode is no longer at any path
        verdict = trust.of_descriptor(fd, path)
    finally:
        os.close(fd)
    assert verdict == Trust(str(path), "was removed or replaced while being read", str(path))


def test_a_file_moved_while_open_is_judged_where_it_now_is(tmp_path: Path) -> None:
    path = _file(_private(tmp_path / "cfg") / "config.json")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    fd = os.open(path, os.O_RDONLY)
    try:
        moved = shared / "config.json"
        os.rename(path, moved)
        assert trust.real_path(fd, path) == str(moved)
        verdict = trust.of_descriptor(fd, path)
    finally:
        os.close(fd)
    assert verdict == Trust(str(moved), f"{shared} is writable by group or others", str(shared))
