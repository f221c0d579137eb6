"""Writing the file: serialise, then replace it atomically under the lock.

Temp file in the same directory, fsync, ``os.replace``, previous version kept
as ``<name>.bak``. The lock is ``fcntl``-based (fasteners), so the kernel
releases it when its holder dies: a stale lock never wedges.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import paths
from ..errors import LockTimeoutError, ZenConfigError
from .checking import check
from .parsing import SCHEMA_DIRECTIVE, Document

STALE_UNNAMED_SECONDS = 3600.0  # temp files without a pid (older versions) after an hour


def drop_none(node: Any) -> Any:
    """The document without null values (TOML has no null)."""
    if isinstance(node, dict):
        return {k: drop_none(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [drop_none(v) for v in node if v is not None]
    return node


def serialize(document: Document, path: Path, toml_schema: str | None = None) -> bytes:
    if paths.is_toml(path):
        import tomli_w

        body = tomli_w.dumps(drop_none({k: v for k, v in document.items() if k != "$schema"}))
        schema = toml_schema or document.get("$schema")
        head = f"{SCHEMA_DIRECTIVE}{schema}\n\n" if schema else ""
        return (head + body).encode("utf-8")
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_error(error: OSError, path: Path, doing: str = "write") -> ZenConfigError:
    """An OSError met while writing ``path`` (read-only, full disk, ...), as a message."""
    reason = error.strerror or type(error).__name__
    return ZenConfigError(
        f"cannot {doing} the file: {reason}",
        where=str(path),
        hint="nothing was changed; check that the disk has room and the directory is writable",
    )


def ensure_private_dir(directory: Path) -> None:
    """Create ``directory`` and each missing parent with mode 0700 (existing ones are
    left as they are)."""
    missing: list[Path] = []
    while not directory.is_dir() and directory.parent != directory:
        missing.append(directory)
        directory = directory.parent
    for each in reversed(missing):
        try:
            each.mkdir(mode=0o700)
        except FileExistsError:
            if each.is_dir():
                continue  # another thread or process made it
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(each)) from None
        os.chmod(each, 0o700)


def _target(path: Path) -> Path:
    """Write through a symlink (dotfile managers link the config)."""
    return path.resolve() if path.is_symlink() else path


def atomic_write(path: Path, data: bytes, keep_backup: bool = True, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically (mode 0600), keeping ``.bak`` (0600).

    ``durable=False`` skips the fsyncs: still atomic for a killed process, not
    for a power cut (for checkpoints that are cheap to lose).

    Temp files carry their writer's pid; those of a writer that is dead (killed
    mid-write) are removed here, never those of a live one.
    """
    target = _target(path)
    try:
        _atomic_write(target, data, keep_backup, durable)
    except OSError as e:
        raise write_error(e, target) from e


def _temp(directory: Path, name: str) -> tuple[int, str]:
    """A new 0600 temp file for ``name``, named ``.NAME.PID.RANDOM.tmp``."""
    return tempfile.mkstemp(prefix=f".{name}.{os.getpid()}.", suffix=".tmp", dir=directory)


def _writer_is_dead(pid: int) -> bool:
    if pid == os.getpid():
        return False  # another thread of this process: alive by definition
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _remove_stale(target: Path) -> None:
    """Remove temp files of ``target`` (and of its backup) left by dead writers."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(?:bak\.)?(\d+)\.[^.]+\.tmp\Z")
    for item in target.parent.glob(f".{target.name}.*.tmp"):
        match = pattern.match(item.name)
        if match is None:
            stale = _older_than(item, STALE_UNNAMED_SECONDS)  # no pid: an older writer's
        else:
            stale = _writer_is_dead(int(match.group(1)))
        if stale:
            with contextlib.suppress(FileNotFoundError):
                item.unlink()


def _older_than(item: Path, seconds: float) -> bool:
    try:
        return time.time() - item.lstat().st_mtime > seconds
    except FileNotFoundError:
        return False


def _atomic_write(target: Path, data: bytes, keep_backup: bool, durable: bool) -> None:
    ensure_private_dir(target.parent)
    _remove_stale(target)
    fd, tmp = _temp(target.parent, target.name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, stat.S_IRUSR | stat.S_IWUSR)
        if keep_backup:
            _keep_backup(target, durable)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(target.parent)


def _keep_backup(target: Path, durable: bool) -> None:
    """Copy the current file to ``.bak``: a new 0600 file, whatever the old mode was."""
    try:
        with target.open("rb") as current:
            data = current.read()
    except FileNotFoundError:
        return
    backup = paths.backup_path(target)
    fd, staging = _temp(target.parent, backup.name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(staging, backup)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staging)
        raise


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _PathLock:
    """This process's hold on one config file: a thread lock, then the fcntl lock.

    fcntl locks belong to a process, so they do not exclude its threads (and
    closing any descriptor of the lock file drops them): the thread lock
    comes first, and only the outermost holder takes the file lock.
    """

    def __init__(self) -> None:
        self.thread = threading.RLock()
        self.depth = 0
        self.file: Any = None


_PATH_LOCKS: dict[str, _PathLock] = {}
_PATH_LOCKS_GUARD = threading.Lock()


def _path_lock(target: Path) -> _PathLock:
    key = os.path.realpath(target)
    with _PATH_LOCKS_GUARD:
        return _PATH_LOCKS.setdefault(key, _PathLock())


@contextlib.contextmanager
def locked(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the lock of ``path`` against other processes and other threads.

    The fcntl lock is released by the kernel if we die, so a stale lock
    never wedges; the wait is bounded by ``timeout`` (or ZEN_LOCK_TIMEOUT).
    """
    target = _target(path)
    try:
        ensure_private_dir(target.parent)
    except OSError as e:
        raise write_error(e, target) from e
    limit = (
        timeout
        if timeout is not None
        else paths.float_from_env(paths.ENV_LOCK_TIMEOUT, paths.DEFAULT_LOCK_TIMEOUT)
    )
    deadline = time.monotonic() + limit
    hold = _path_lock(target)
    if not hold.thread.acquire(timeout=limit):
        raise LockTimeoutError(
            f"another thread of this process held the config lock for {limit:g}s",
            where=str(target),
            hint=f"retry, or raise {paths.ENV_LOCK_TIMEOUT}",
        )
    try:
        if hold.depth == 0:
            hold.file = _file_lock(target, max(0.0, deadline - time.monotonic()), limit)
        hold.depth += 1
        try:
            yield
        finally:
            hold.depth -= 1
            if hold.depth == 0:
                hold.file.release()
                hold.file = None
    finally:
        hold.thread.release()


def _file_lock(target: Path, wait: float, limit: float) -> Any:
    import fasteners

    lock = fasteners.InterProcessLock(str(paths.lock_path(target)))
    try:
        acquired = lock.acquire(blocking=True, timeout=wait, delay=0.005, max_delay=0.05)
    except OSError as e:
        raise write_error(e, target, "lock") from e
    if not acquired:
        raise LockTimeoutError(
            f"another zen process held the config lock for {limit:g}s",
            where=str(paths.lock_path(target)),
            hint=f"retry, or raise {paths.ENV_LOCK_TIMEOUT}",
        )
    with contextlib.suppress(OSError):  # a lock file is nobody else's business either
        os.chmod(paths.lock_path(target), 0o600)
    return lock


def write(path: Path, document: Document, toml_schema: str | None = None) -> None:
    """Check ``document`` and write it (caller holds the lock)."""
    from ..errors import ConfigError
    from .reading import MAX_BYTES

    check(document, path)
    data = serialize(document, path, toml_schema)
    if len(data) > MAX_BYTES:  # the reader would refuse it: never write what cannot be read
        raise ConfigError(
            f"the config file would grow past {MAX_BYTES // 2**20} MiB; nothing was written",
            where=str(path),
            hint="remove projects you no longer use",
        )
    atomic_write(path, data)
