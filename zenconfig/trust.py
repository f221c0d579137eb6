"""Whose file is this? Trust of an opened file, decided from its descriptor.

A file is trusted when it, and every directory on its real path, could only
have been written by you or by root:

- the file is owned by you or by root and is not writable by group or others;
- every directory from ``/`` down to the file is owned by you or by root and is
  not writable by group or others, except a *sticky* directory owned by you
  or by root (``/tmp``, mode 1777): others may add entries there but cannot
  rename or remove yours, so they cannot swap what sits below it;
- the real path is the one the kernel reports for the descriptor
  (``/proc/self/fd/N``), and it must still name the same inode: a file
  replaced or moved while being read is not trusted.

The file trusted is the one opened, never a path beside it: a symlinked
config is judged by its target and the target's directories (the link
itself may live anywhere: whoever can swap it can only point it at a file
that is judged the same way).

The config file's trust gates its password command; ``.zen-project`` uses the
owner and directory rules. This module only decides; callers raise.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .values import Value

TRUSTED_OWNERS = frozenset({0})  # root, besides the user running zen


class Trust(Value):
    """The verdict on one opened file: ``problem`` is None when it is trusted."""

    __slots__ = ("path", "problem", "where")
    path: str  # the real path of the opened file
    problem: str | None
    where: str | None  # the file or directory the problem is about

    def __init__(self, path: str, problem: str | None = None, where: str | None = None) -> None:
        self._set(path=path, problem=problem, where=where)

    @property
    def trusted(self) -> bool:
        return self.problem is None


def trusted_owner(uid: int) -> bool:
    return uid == os.getuid() or uid in TRUSTED_OWNERS


def _owner(uid: int) -> str:
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (KeyError, ImportError):
        return f"uid {uid}"


def directory_problem(st: os.stat_result) -> str | None:
    """Why a directory with this stat is not trusted, or None."""
    if not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if not trusted_owner(st.st_uid):
        return f"belongs to {_owner(st.st_uid)}, not to you"
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        return "is writable by group or others"
    return None


def file_problem(st: os.stat_result) -> str | None:
    """Why a file with this stat is not trusted, or None."""
    if not trusted_owner(st.st_uid):
        return f"belongs to {_owner(st.st_uid)}, not to you"
    if st.st_mode & 0o022:
        return "is writable by group or others"
    return None


def real_path(fd: int, fallback: Path | None = None) -> str | None:
    """The path the kernel reports for ``fd`` (None when it cannot tell)."""
    try:
        found = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return os.path.realpath(fallback) if fallback is not None else None
    return None if found.endswith(" (deleted)") or not found.startswith("/") else found


def of_descriptor(fd: int, fallback: Path | None = None) -> Trust:
    """The trust of the file open on ``fd`` (see the module doc)."""
    st = os.fstat(fd)
    real = real_path(fd, fallback)
    if real is None:
        return Trust(str(fallback), "was removed or replaced while being read", str(fallback))
    problem = file_problem(st)
    if problem:
        return Trust(real, f"{real} {problem}", real)
    try:
        now = os.lstat(real)
    except OSError:
        now = None
    if now is None or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
        return Trust(real, f"{real} was moved or replaced while being read", real)
    for directory in Path(real).parents:
        try:
            problem = directory_problem(os.lstat(directory))
        except OSError as e:
            problem = f"cannot be inspected: {e.strerror}"
        if problem:
            return Trust(real, f"{directory} {problem}", str(directory))
    return Trust(real)


def of_path(path: Path) -> Trust:
    """Open ``path`` and judge what was opened (for callers without a descriptor)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as e:
        return Trust(str(path), f"{path} cannot be opened: {e.strerror}", str(path))
    try:
        return of_descriptor(fd, path)
    finally:
        os.close(fd)
