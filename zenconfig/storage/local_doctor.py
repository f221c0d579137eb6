"""The local database's health, as plain findings for ``zen config doctor``.

``check_database`` never creates or changes anything: a missing database is
fine (it is created at first use); a path the store would refuse is a failure
with the store's own message; then permissions, whether it opens as ours,
``PRAGMA integrity_check``, the journal mode and the size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ZenConfigError
from ..spec import LocalSpec
from ..text import printable
from . import local_path, local_schema

NAME = "local database"


@dataclass(frozen=True)
class Check:
    """One finding (the fields of ``doctor.Finding``)."""

    check: str
    status: str  # ok | warn | fail
    detail: str


def size(count: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return ""  # not reached


def _permissions(real: Path) -> list[Check]:
    found = []
    for item, want in ((real, 0o600), (real.parent, 0o700)):
        mode = os.stat(item).st_mode & 0o777
        if mode & 0o077:
            detail = f"{item} is {mode:04o}: others can read it; run: chmod {want:o} '{item}'"
            found.append(Check(f"{NAME} permissions", "warn", detail))
        else:
            found.append(Check(f"{NAME} permissions", "ok", f"{item} is {mode:04o}"))
    return found


def check_database(
    local: LocalSpec, config_path: str | os.PathLike[str] | None = None
) -> list[Check]:
    """Findings about the database ``local`` names (see the module doc)."""
    from . import local as sqlite_backend

    path = local.resolved(config_path)
    try:
        real = local_path.check(path, create=False)
    except ZenConfigError as e:
        return [Check(NAME, "fail", str(e))]
    if real is None:
        return [Check(NAME, "ok", f"{path} does not exist yet (created 0600 at first use)")]
    found = _permissions(real)
    try:
        facts = sqlite_backend.inspect(str(real))
        local_schema.check_version(facts["user_version"], facts["application_id"], str(real))
    except ZenConfigError as e:
        return [*found, Check(NAME, "fail", str(e))]
    on_disk = sum(os.stat(p).st_size for p in (f"{real}", f"{real}-wal") if os.path.exists(p))
    threads = facts.get("threads")
    held = f"{threads} thread rows (expired included)" if threads is not None else "empty"
    found.append(
        Check(NAME, "ok", f"{real}: {size(on_disk)}, layout {facts['user_version']}, {held}")
    )
    if facts["integrity"] == ["ok"]:
        found.append(Check(f"{NAME} integrity", "ok", "PRAGMA integrity_check: ok"))
    else:
        problems = "; ".join(printable(str(p), 200) for p in facts["integrity"])
        found.append(Check(f"{NAME} integrity", "fail", f"damaged: {problems}"))
    if facts["journal_mode"] == "wal":
        found.append(Check(f"{NAME} journal", "ok", "WAL"))
    else:
        mode = facts["journal_mode"]
        found.append(Check(f"{NAME} journal", "warn", f"journal mode {mode} (WAL at next use)"))
    return found
