"""Where the local database may live: checks made on opened descriptors.

The database holds the user's conversations, and SQLite keeps two more files
beside it (``-wal``, ``-shm``) that it creates and trusts. So:

- The directory holding the database must be writable by the user alone:
  owned by the user (or root) and not writable by group or others, sticky bit
  or not (``/tmp`` is refused). With a private directory nobody else can
  plant or swap the database, its log or its shared-memory file between these
  checks and SQLite's own open, so the checks cannot be raced. A missing
  directory is created 0700 (missing parents get the usual mode).
- The file is created here, 0600, with ``O_CREAT | O_EXCL | O_NOFOLLOW``
  before SQLite sees it (SQLite is told never to create it). An existing file
  must be a regular file owned by the user and not writable by group or others.
- A symlink as the last component is followed only when the user owns it (a
  link made on purpose, e.g. to keep the database on another disk); a link
  owned by anyone else is refused. The target's directory and file must pass
  the same checks, and SQLite is given the target's real path.

Owners are checked with ``fstat`` on the opened directory and file, never with
a ``stat`` of a path beside them. The directories above the database's own are
not checked (as ssh and gpg check the last ones only).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..errors import ZenConfigError
from ..text import printable

OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH
FILE_FLAGS = os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
HINT = "choose a path in a directory of your own for storage.local.path"


def trusted_owners() -> set[int]:
    return {os.getuid(), 0}


def _refuse(message: str, path: Path, hint: str = HINT) -> ZenConfigError:
    return ZenConfigError(message, where=printable(str(path)), hint=hint)


def _open_directory(directory: Path, create: bool) -> int | None:
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
    try:
        return os.open(directory, flags)
    except FileNotFoundError:
        if not create:
            return None
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            return os.open(directory, flags)
        except OSError as e:
            raise _refuse(f"cannot create the directory: {e.strerror}", directory) from e
    except NotADirectoryError as e:
        raise _refuse("not a directory", directory) from e
    except OSError as e:
        raise _refuse(f"cannot open the directory: {e.strerror}", directory) from e


def _check_directory(fd: int, directory: Path) -> None:
    st = os.fstat(fd)
    if st.st_uid not in trusted_owners():
        raise _refuse(
            f"the local database's directory belongs to someone else (uid {st.st_uid})",
            directory,
        )
    if st.st_mode & OTHERS_WRITE:
        mode = stat.S_IMODE(st.st_mode)
        raise _refuse(
            f"the local database's directory can be written by others (mode {mode:04o})",
            directory,
            hint=f"run: chmod 700 '{directory}', or {HINT}",
        )


def _check_file(fd: int, path: Path) -> None:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise _refuse("the local database is not a regular file", path)
    if st.st_uid not in trusted_owners():
        raise _refuse(f"the local database belongs to someone else (uid {st.st_uid})", path)
    if st.st_mode & OTHERS_WRITE:
        mode = stat.S_IMODE(st.st_mode)
        raise _refuse(
            f"the local database can be written by others (mode {mode:04o})",
            path,
            hint=f"run: chmod 600 '{path}'",
        )


def _open_file(dir_fd: int, path: Path, create: bool) -> int | None:
    try:
        if create:
            try:
                fd = os.open(path.name, FILE_FLAGS | os.O_CREAT | os.O_EXCL, 0o600, dir_fd=dir_fd)
                os.fchmod(fd, 0o600)
                return fd
            except FileExistsError:
                pass
        return os.open(path.name, FILE_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as e:
        if e.errno == errno.ELOOP:  # a symlink appeared where the file was
            raise _refuse("the local database path became a symlink", path) from e
        raise _refuse(f"cannot open the local database: {e.strerror}", path) from e


def check(path: Path, *, create: bool = True, follow: bool = True) -> Path | None:
    """The real path of a database that passes the checks (see the module doc).

    ``create``: make the directory and an empty 0600 file when missing;
    otherwise a missing file gives None. Raises ``ZenConfigError`` on refusal.
    """
    if "\x00" in str(path):
        raise ZenConfigError("storage.local.path contains a NUL character")
    path = Path(os.path.abspath(path))
    dir_fd = _open_directory(path.parent, create)
    if dir_fd is None:
        return None
    try:
        _check_directory(dir_fd, path.parent)
        try:
            st = os.stat(path.name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            st = None
        if st is not None and stat.S_ISLNK(st.st_mode):
            if not follow:
                raise _refuse("the local database path is a symlink to a symlink", path)
            if st.st_uid not in trusted_owners():
                raise _refuse(
                    f"the local database path is a symlink owned by someone else (uid {st.st_uid})",
                    path,
                    hint=f"remove it if you did not make it: rm '{path}'",
                )
            return check(Path(os.path.realpath(path)), create=create, follow=False)
        fd = _open_file(dir_fd, path, create)
        if fd is None:
            return None
        try:
            _check_file(fd, path)
        finally:
            os.close(fd)
        return path
    finally:
        os.close(dir_fd)
