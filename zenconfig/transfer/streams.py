"""The files export writes and import reads, opened defensively.

- ``open_input``: a regular file or a pipe, opened once and judged by the
  opened descriptor (a directory or a device is refused, a FIFO without a
  writer does not hang the open); errors name the file.
- ``atomic_output``: the export file is written to a private temp file
  (0600, ``O_EXCL``) beside it, synced, then renamed over the name: a reader
  never sees half an export, nothing is ever written through a symlink, and
  a symlink, a device or another user's file at the name is refused, not
  replaced.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import ZenConfigError
from ..text import printable

BUFFER = 1024 * 1024


def _where(path: str | os.PathLike[str]) -> str:
    return printable(os.fspath(path), 300)


def open_input(path: str | os.PathLike[str]) -> BinaryIO:
    """The import file, opened for reading (binary); ``ZenConfigError`` names it."""
    where = _where(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ZenConfigError("the import file does not exist", where=where) from None
    except OSError as e:
        raise ZenConfigError(f"cannot open the import file: {e.strerror}", where=where) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ZenConfigError(
                "the import file is a directory",
                where=where,
                hint="name a file written by 'zen storage export' (or, for zen-cli's "
                "directory, use --from-zen-files)",
            )
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise ZenConfigError("the import file is not a regular file or a pipe", where=where)
        if stat.S_ISFIFO(mode):
            fd = _wait_for_writer(fd, path)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=BUFFER)
    except BaseException:
        os.close(fd)
        raise


def _wait_for_writer(fd: int, path: str | os.PathLike[str]) -> int:
    """A named pipe: open it again, blocking until a writer comes (as ``cat`` does; the
    first open does not wait, and reading a pipe no writer opened yet ends at once).
    The second descriptor must be the same pipe the first one was judged on."""
    first = os.fstat(fd)
    again = os.open(path, os.O_RDONLY | os.O_CLOEXEC)  # Ctrl-C ends the wait
    found = os.fstat(again)
    if (found.st_dev, found.st_ino) != (first.st_dev, first.st_ino):
        os.close(again)
        raise ZenConfigError("the import file changed while it was opened", where=_where(path))
    os.close(fd)
    return again


def _check_target(path: Path) -> None:
    where = _where(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise ZenConfigError(f"cannot write the export: {e.strerror}", where=where) from None
    if stat.S_ISLNK(info.st_mode):
        raise ZenConfigError(
            "the export file is a symbolic link; it is neither followed nor replaced",
            where=where,
            hint="name a plain file, or remove the link first",
        )
    if not stat.S_ISREG(info.st_mode):
        raise ZenConfigError(
            "the export file exists and is not a regular file",
            where=where,
            hint="write to standard output instead (no -o) to pipe the export",
        )
    if info.st_uid != os.geteuid():
        raise ZenConfigError("the export file belongs to another user", where=where)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Write ``path`` as a new 0600 file, in place only once complete."""
    import tempfile

    target = Path(path)
    _check_target(target)
    where = _where(target)
    try:
        fd, temp = tempfile.mkstemp(
            prefix=f".{target.name[:100]}.", suffix=".partial", dir=target.parent or "."
        )
    except OSError as e:
        raise ZenConfigError(f"cannot write the export: {e.strerror}", where=where) from None
    try:
        with os.fdopen(fd, "wb", buffering=BUFFER) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.replace(temp, target)
        except OSError as e:
            raise ZenConfigError(f"cannot write the export: {e.strerror}", where=where) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
