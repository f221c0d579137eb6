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
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import paths
from ..errors import LockTimeoutError, ZenConfigError
from .checking import check
from .parsing import SCHEMA_DIRECTIVE, Document


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
    """Create ``directory`` (and parents) with mode 0700 if it does not exist."""
    if directory.is_dir():
        return
    if directory.exists() or directory.is_symlink():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(directory))
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)


def _target(path: Path) -> Path:
    """Write through a symlink (dotfile managers link the config)."""
    return path.resolve() if path.is_symlink() else path


def atomic_write(path: Path, data: bytes, keep_backup: bool = True, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically (mode 0600), keeping ``.bak``.

    ``durable=False`` skips the fsyncs: still atomic for a killed process, not
    for a power cut (for checkpoints that are cheap to lose).

    The caller holds the lock, so temp files of an earlier writer that was
    killed mid-write are stale and removed here.
    """
    target = _target(path)
    try:
        _atomic_write(target, data, keep_backup, durable)
    except OSError as e:
        raise write_error(e, target) from e


def _atomic_write(target: Path, data: bytes, keep_backup: bool, durable: bool) -> None:
    ensure_private_dir(target.parent)
    for stale in target.parent.glob(f".{target.name}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, stat.S_IRUSR | stat.S_IWUSR)
        if keep_backup and target.exists():
            _keep_backup(target)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(target.parent)


def _keep_backup(target: Path) -> None:
    backup = paths.backup_path(target)
    staging = backup.with_name(f".{backup.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(staging)
    try:
        os.link(target, staging)
    except OSError:
        import shutil

        shutil.copy2(target, staging)
        os.chmod(staging, 0o600)
    os.replace(staging, backup)
    # rename() between two links of one file does nothing (the backup already
    # was this version, after a writer died between backup and replace)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(staging)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the advisory lock of ``path`` (released by the kernel if we die)."""
    import fasteners

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
    lock = fasteners.InterProcessLock(str(paths.lock_path(target)))
    try:
        acquired = lock.acquire(blocking=True, timeout=limit, delay=0.005, max_delay=0.05)
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
    try:
        yield
    finally:
        lock.release()


def write(path: Path, document: Document, toml_schema: str | None = None) -> None:
    """Check ``document`` and write it (caller holds the lock)."""
    check(document, path)
    atomic_write(path, serialize(document, path, toml_schema))
