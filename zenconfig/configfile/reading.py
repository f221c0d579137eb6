"""Reading the config file once, from one descriptor.

The file is opened once (a symlinked config is allowed), the descriptor is
checked with ``fstat`` (a FIFO, a device, a directory or a file over
``MAX_BYTES`` is an error naming the file), the bytes parsed are the bytes
read from that descriptor, and the file's trust (``zenconfig.trust``) is
decided from the same descriptor. Nothing is re-read or re-checked by path.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..errors import ConfigError
from ..trust import Trust, of_descriptor

MAX_BYTES = 1024 * 1024  # 1 MiB: a config with thousands of projects is ~1 MB
MAX_LABEL = "1 MiB"
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC

_KINDS = (
    (stat.S_ISDIR, "is a directory"),
    (stat.S_ISFIFO, "is a FIFO (named pipe)"),
    (stat.S_ISCHR, "is a character device"),
    (stat.S_ISBLK, "is a block device"),
    (stat.S_ISSOCK, "is a socket"),
)


def _open(path: Path) -> int | None:
    try:
        return os.open(path, _FLAGS)
    except FileNotFoundError:
        return None
    except PermissionError as e:
        raise ConfigError("cannot read the file: permission denied", where=str(path)) from e
    except OSError as e:
        if e.errno == errno.ENOTDIR:
            reason = "a parent of it is not a directory"
        elif e.errno == errno.ELOOP:
            reason = "too many levels of symbolic links"
        else:
            reason = e.strerror or type(e).__name__
        raise ConfigError(f"cannot read the file: {reason}", where=str(path)) from e


def _check_kind(st: os.stat_result, path: Path) -> None:
    for test, kind in _KINDS:
        if test(st.st_mode):
            raise ConfigError(f"{kind}, not a config file", where=str(path))
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError("is not a regular file", where=str(path))
    if st.st_size > MAX_BYTES:
        raise ConfigError(_too_big(st.st_size), where=str(path))


def _too_big(size: int | None) -> str:
    what = f"{size:,} bytes" if size is not None else "it grew while being read"
    return f"larger than the {MAX_LABEL} limit of a config file ({what})"


def read(path: Path) -> tuple[bytes, Trust] | None:
    """The file's bytes and its trust, from one descriptor; None when it is absent."""
    fd = _open(path)
    if fd is None:
        return None
    try:
        _check_kind(os.fstat(fd), path)
        trust = of_descriptor(fd, path)
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError as e:
                raise ConfigError(f"cannot read the file: {e.strerror}", where=str(path)) from e
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_BYTES:
                raise ConfigError(_too_big(None), where=str(path))
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks), trust
