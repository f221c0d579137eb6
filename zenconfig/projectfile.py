"""``.zen-project``: a project name for a directory tree, read defensively.

A cloned repository can carry one, so its content is hostile until checked:
it may pick one of the user's own projects and nothing else. The one reader
(used by the resolver and by doctor):

- never follows a symlink named ``.zen-project`` (O_NOFOLLOW), and reads only
  regular files, at most ``MAX_BYTES``;
- ignores a file that belongs to someone else (not you, not root), that others
  can write, or that sits in a directory that others can write or that belongs
  to someone else (``zenconfig.trust``: a sticky root directory such as /tmp is
  fine): the search goes on upwards as if it were absent, and the reason is
  kept for doctor; the directory judged is the one the file was opened in;
- accepts one project name (comment lines starting with ``#`` and blank lines
  aside); anything else is an error that never echoes the content.

The writer replaces the file atomically (temp file + rename), so a symlink in
its place is replaced, never written through.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from pathlib import Path

from . import paths, trust
from .errors import ConfigError, ZenConfigError
from .rules import NAME_MAX, NAME_PATTERN
from .text import printable
from .values import Value

MAX_BYTES = 512


class ProjectFile(Value):
    """One ``.zen-project`` found on the way up: its name, or why it was skipped."""

    __slots__ = ("name", "path", "skipped")
    path: Path
    name: str | None
    skipped: str | None

    def __init__(self, path: Path, name: str | None = None, skipped: str | None = None) -> None:
        self._set(path=path, name=name, skipped=skipped)


def _directory_problem(st: os.stat_result) -> str | None:
    """Why the directory (as opened) is not to be trusted (see ``zenconfig.trust``)."""
    if not trust.trusted_owner(st.st_uid):
        return "its directory belongs to another user"
    if trust.directory_problem(st):
        return "its directory is writable by others"
    return None


def _parse(data: bytes, path: Path) -> str:
    bad = ConfigError(
        "a .zen-project file holds one project name and nothing else",
        where=printable(str(path)),
        hint="write just the name, e.g.: zen config use NAME --here",
    )
    if len(data) > MAX_BYTES:
        bad.message = (
            f"a .zen-project file holds one project name (this one is over {MAX_BYTES} bytes)"
        )
        raise bad
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise bad from None
    lines = [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    if len(lines) != 1 or len(lines[0]) > NAME_MAX or not re.match(NAME_PATTERN, lines[0]):
        raise bad
    return lines[0]


def read(path: Path) -> ProjectFile | None:
    """The file at ``path``: None when absent, ``skipped`` when not to be trusted.

    The directory is opened first and the file opened relative to it, so the
    directory judged is the one the file was read from.
    """
    try:
        directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return _read_in(directory, path)
    finally:
        os.close(directory)


def _read_in(directory: int, path: Path) -> ProjectFile | None:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(path.name, flags, dir_fd=directory)
    except FileNotFoundError:
        return None
    except OSError as e:
        if e.errno == errno.ELOOP:
            return ProjectFile(path, skipped="it is a symlink (never followed)")
        if e.errno in (errno.ENOTDIR, errno.ENAMETOOLONG):
            return None
        return ProjectFile(path, skipped=f"cannot open it: {e.strerror}")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return ProjectFile(path, skipped="it is not a regular file")
        if not trust.trusted_owner(st.st_uid):
            return ProjectFile(path, skipped="it belongs to another user")
        if trust.file_problem(st):
            return ProjectFile(path, skipped="it is writable by others")
        problem = _directory_problem(os.fstat(directory))
        if problem:
            return ProjectFile(path, skipped=problem)
        data = os.read(fd, MAX_BYTES + 1)
    finally:
        os.close(fd)
    return ProjectFile(path, name=_parse(data, path))


def chain(start: Path | None = None) -> list[ProjectFile]:
    """Every ``.zen-project`` from ``start`` (default: cwd) up to the root."""
    here = Path(os.path.abspath(start or Path.cwd()))
    found = []
    for directory in (here, *here.parents):
        item = read(directory / paths.PROJECT_FILE_NAME)
        if item is not None:
            found.append(item)
    return found


def find(start: Path | None = None) -> ProjectFile | None:
    """The ``.zen-project`` that applies: the nearest one that is not skipped."""
    here = Path(os.path.abspath(start or Path.cwd()))
    for directory in (here, *here.parents):
        item = read(directory / paths.PROJECT_FILE_NAME)
        if item is not None and item.skipped is None:
            return item
    return None


def write(directory: Path, name: str) -> Path:
    """Write ``directory/.zen-project`` naming ``name`` (a symlink there is replaced).

    Refused where the reader would ignore it (a directory others can write, or
    another user's): a file that is written but never read only misleads."""
    import tempfile

    target = directory / paths.PROJECT_FILE_NAME
    try:
        problem = _directory_problem(os.stat(directory))
    except OSError:
        problem = None  # the write below says what is wrong
    if problem is not None:
        raise ZenConfigError(
            f"a .zen-project here would be ignored: {problem}",
            where=printable(str(target)),
            hint="pin the project in a directory of your own, or use ZEN_PROJECT / --project",
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=".zen-project.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(name + "\n")
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
    except OSError as e:
        raise ZenConfigError(
            f"cannot write the file: {e.strerror or type(e).__name__}",
            where=printable(str(target)),
        ) from e
    return target
