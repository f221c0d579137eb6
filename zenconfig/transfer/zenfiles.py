"""Import zen-cli's file store (``~/.zen/conversations``) so that moving to
zenconfig keeps every conversation.

zen-cli keeps one file per key, ``<key>.json``, holding
``{"value": <dict>, "expires_at": <epoch>, "created_at": <epoch>}`` (UTF-8).
Each file is written through zen's own API (``runtime.compat.ZenBackend.set``):
a thread document becomes a thread in the project's layout (merged, so
importing twice adds nothing) under the project's TTL and ``max_turns``, as
every thread zen writes through that API; other keys are stored as given,
each with the time it had left. Expired entries are skipped. The directory
is read defensively: only regular files (never through a symlink, a FIFO
never waited on), each at most ``MAX_BYTES``, strict UTF-8 JSON; a file that
is not such an entry is reported by name (escaped) and the import goes on.
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ZenConfigError
from ..storage.records import seconds_left
from ..text import printable

MAX_BYTES = 64 * 1024 * 1024
DEFAULT_DIR = Path("~/.zen/conversations")


@dataclass
class ZenFilesReport:
    threads: int = 0
    keys: int = 0
    expired: int = 0
    rejected: list[str] = field(default_factory=list)  # "name: why"


def _read(path: Path) -> dict[str, Any]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise ValueError("a symbolic link (not followed)") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        if info.st_size > MAX_BYTES:
            raise ValueError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:  # grew since the check
        raise ValueError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not JSON (not UTF-8 text)") from None
    except RecursionError:
        raise ValueError("not JSON (nested too deeply)") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    except ValueError as e:  # an integer of thousands of digits
        raise ValueError(f"not JSON ({printable(str(e), 80)})") from None
    if not isinstance(data, dict) or not isinstance(data.get("value"), dict | str):
        raise ValueError("not a zen-cli entry (no 'value')")
    return data


def entries(directory: Path) -> Iterator[tuple[str, Any, float | None, str | None]]:
    """(key, value, expires_at, problem) for each ``*.json`` file, sorted by name."""
    try:
        names = sorted(os.listdir(directory))
    except OSError as e:
        raise ZenConfigError(
            f"cannot read zen's conversations: {e.strerror}",
            where=str(directory),
            hint="name zen-cli's directory: zen storage import --from-zen-files DIR",
        ) from e
    for name in names:
        if not name.endswith(".json"):
            continue
        key = name[: -len(".json")]
        try:
            data = _read(directory / name)
        except (OSError, ValueError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            yield key, None, None, f"{printable(name, 120)}: {reason}"
            continue
        expires = data.get("expires_at")
        if isinstance(expires, int | float) and math.isfinite(expires):
            yield key, data["value"], float(expires), None
        else:
            yield key, data["value"], None, None


def _is_thread(key: str, value: Any) -> bool:
    """Whether zen's API stores this entry as a thread (its document under its own id)."""
    return (
        key.startswith("thread:")
        and isinstance(value, dict)
        and isinstance(value.get("turns"), list)
        and value.get("thread_id") == key[len("thread:") :]
    )


def import_files(backend: Any, directory: Path, now: float | None = None) -> ZenFilesReport:
    """Write every live entry through ``backend`` (a ``runtime.compat.ZenBackend``)."""
    report = ZenFilesReport()
    clock = time.time() if now is None else now
    for key, value, expires, problem in entries(directory):
        if problem is not None:
            report.rejected.append(problem)
            continue
        if expires is not None and expires <= clock:
            report.expired += 1
            continue
        ttl = None if expires is None else seconds_left(expires - clock)
        backend.set(key, value, ttl)
        if _is_thread(key, value):
            report.threads += 1
        else:
            report.keys += 1
    return report
