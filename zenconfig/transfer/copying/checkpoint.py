"""A copy's checkpoint file and the lock that keeps one run per pair.

The checkpoint (``copy-A-to-B.checkpoint`` beside the config file) is JSON,
rewritten atomically after each step: the run's id and staging namespace,
both endpoints, the options, the counts, the verification sample and where
the run is (``phase``, ``position``, the page in flight). The next run of the
same pair resumes from it, and only from it; a checkpoint that cannot be read
is an error naming the file (``--restart`` discards it).

The lock is an ``flock`` on ``copy-A-to-B.lock``, held for the whole run, so
a second copy of the same pair refuses at once; the OS drops it when the
process dies, however it dies.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
from pathlib import Path
from typing import Any

from ...errors import ZenConfigError

VERSION = 2
MAX_BYTES = 4 * 1024 * 1024


def command(source: str, target: str) -> str:
    return f"zen storage copy --from {source} --to {target}"


class Lock:
    """One copy per (source, target) at a time: an OS lock held while it runs."""

    def __init__(self, path: Path, source: str, target: str) -> None:
        self.path = path
        self.what = f"from {source} to {target}"
        self.fd: int | None = None

    def __enter__(self) -> Lock:
        import fcntl

        from ...configfile import ensure_private_dir

        ensure_private_dir(self.path.parent)
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        for _ in range(10):
            fd = os.open(self.path, flags, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
                os.close(fd)
                raise ZenConfigError(
                    f"another copy {self.what} is running (pid {holder})",
                    where=str(self.path),
                    hint="wait for it to end; two runs would write the same keys",
                ) from None
            if self._still_named(fd):
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                self.fd = fd
                return self
            os.close(fd)  # the file was replaced while we waited: lock the new one
        raise ZenConfigError(f"cannot lock {self.path}", where=str(self.path))

    def _still_named(self, fd: int) -> bool:
        try:
            named = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            return False
        held = os.fstat(fd)
        return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)  # still holding it: a waiter re-checks the name
            os.close(self.fd)
            self.fd = None


class Checkpoint:
    """The checkpoint file of one (source, target) pair."""

    def __init__(self, path: Path, source: str, target: str) -> None:
        self.path = path
        self.source, self.target = source, target

    def unreadable(self, why: str) -> ZenConfigError:
        return ZenConfigError(
            f"the checkpoint of an interrupted copy cannot be read: {why}",
            where=str(self.path),
            hint=f"start over with: {command(self.source, self.target)} --restart",
        )

    def load(self) -> dict[str, Any] | None:
        """The saved state, or None when there is no interrupted run."""
        from ... import trust

        try:  # never blocks: a FIFO planted here opens at once and is refused below
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise self.unreadable("it is a symbolic link") from None
            raise self.unreadable(e.strerror or str(e)) from None
        try:  # judged by the opened descriptor
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
                raise self.unreadable("not a regular file of at most 4 MiB")
            problem = trust.file_problem(info)
            if problem is not None:
                raise self.unreadable(f"it {problem}")
            with os.fdopen(fd, "rb") as handle:
                fd = -1
                raw = handle.read(MAX_BYTES + 1)
        finally:
            if fd >= 0:
                os.close(fd)
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            raise self.unreadable("not JSON") from None
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise self.unreadable("written by another version of zen")
        if (data.get("from"), data.get("to")) != (self.source, self.target):
            raise self.unreadable("it names another pair of projects")
        return data

    def save(self, data: dict[str, Any]) -> None:
        """Replace the file atomically (a kill leaves the old or the new one; a power
        cut may cost the last steps). A symlink in its place is replaced, never
        written through. Only the lock holder writes, so its temp files are its own."""
        import tempfile

        data = {**data, "version": VERSION, "from": self.source, "to": self.target}
        fd, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp",
                                    dir=self.path.parent)  # fmt: skip
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(json.dumps(data).encode())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise

    def clean(self) -> None:
        """Remove temp files a killed writer of this checkpoint left (lock held)."""
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
