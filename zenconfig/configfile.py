"""Read, validate and atomically write the config file.

The file is kept as a plain document (dict) so that what the user wrote is
preserved; every write validates that document against ``models.Config``
first, then replaces the file atomically under an advisory lock:
temp file in the same directory, fsync, ``os.replace``, previous version
hard-linked to ``<name>.bak``. The lock is ``fcntl``-based (fasteners), so
the kernel releases it when its holder dies: a stale lock never wedges.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from . import paths
from .errors import ConfigError, LockTimeoutError

if TYPE_CHECKING:
    from .models import Config

T = TypeVar("T")
Document = dict[str, Any]
SCHEMA_DIRECTIVE = "#:schema "
_SYNTAX_HINT = "fix the file at that line and column, or run: zen config edit"
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass
class Loaded:
    """A config file as read and checked; ``config`` builds the model on first use."""

    path: Path
    document: Document
    exists: bool
    toml_schema: str | None = None
    raw: bytes = field(default=b"", repr=False)

    @cached_property
    def config(self) -> Config:
        return validate(self.document, self.path)


def empty_document(schema_ref: str | None = None) -> Document:
    doc: Document = {}
    if schema_ref:
        doc["$schema"] = schema_ref
    doc["version"] = 1
    doc["storage"] = {"type": "memory", "fallback": "memory", "redis": {"connections": {}}}
    return doc


# -- parsing -----------------------------------------------------------------


def parse(raw: bytes, path: Path) -> tuple[Document, str | None]:
    """Parse JSON or TOML (by extension); a syntax error names line and column."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"not UTF-8 text (byte {e.start})", where=str(path), hint="save the file as UTF-8"
        ) from e
    if paths.is_toml(path):
        import tomllib

        first = text.split("\n", 1)[0].strip()
        directive = first[len(SCHEMA_DIRECTIVE) :].strip() if first.startswith("#:schema") else None
        try:
            return tomllib.loads(text), directive
        except tomllib.TOMLDecodeError as e:
            match = _TOML_POSITION.search(str(e))
            where = f"{path}:{match.group(1)}:{match.group(2)}" if match else str(path)
            message = _TOML_POSITION.sub("", str(e)).strip()
            raise ConfigError(f"invalid TOML: {message}", where=where, hint=_SYNTAX_HINT) from e
    if not text.strip():
        raise ConfigError(
            "the file is empty", where=f"{path}:1:1", hint="run: zen config init --force"
        )
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(
            f"invalid JSON: {e.msg}", where=f"{path}:{e.lineno}:{e.colno}", hint=_SYNTAX_HINT
        ) from e
    except RecursionError as e:
        raise ConfigError("invalid JSON: nested too deeply", where=str(path)) from e
    if not isinstance(doc, dict):
        raise ConfigError("the top level must be an object", where=f"{path}:1:1")
    return doc, None


# -- validation --------------------------------------------------------------

_MESSAGES = {
    "less_than_equal": "must be <= {le}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "greater_than": "must be > {gt}",
    "extra_forbidden": "unknown key",
    "missing": "required",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "string_pattern_mismatch": "must match {pattern}",
    "string_too_short": "must not be empty",
    "too_short": "must have at least {min_length} item(s)",
    "literal_error": "must be {expected}",
    "union_tag_invalid": "'source' must be {expected_tags}",
    "union_tag_not_found": "needs a 'source' key (keyring, env or command)",
}
_PASSWORD_TAGS = {"keyring", "env", "command"}


def _dotted(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for i, item in enumerate(loc):
        if item == "[key]":
            continue
        if i > 0 and loc[i - 1] == "password" and item in _PASSWORD_TAGS:
            continue  # the tag pydantic adds for the discriminated union
        parts.append(f"[{item}]" if isinstance(item, int) else str(item))
    return ".".join(parts).replace(".[", "[") or "(top level)"


def describe_errors(exc: Any) -> list[str]:
    """One 'dotted.path: message' line per problem in a pydantic ValidationError."""
    from .models import SemanticError

    lines: list[str] = []
    for err in exc.errors(include_url=False):
        ctx = err.get("ctx") or {}
        if isinstance(ctx.get("error"), SemanticError):
            lines += [f"{p}: {m}" for p, m in ctx["error"].problems]
            continue
        loc = tuple(err["loc"])
        template = _MESSAGES.get(err["type"])
        if err["type"] == "string_pattern_mismatch" and loc and loc[-1] == "[key]":
            message = "is not a valid project name (letters, digits, '_', '.', '-')"
        elif template:
            try:
                message = template.format(**ctx)
            except (KeyError, IndexError):
                message = err["msg"]
        else:
            message = err["msg"]
        lines.append(f"{_dotted(loc)}: {message}")
    return lines


def _check_version(document: Document, path: Path) -> None:
    from .rules import CURRENT_VERSION

    version = document.get("version")
    if "version" not in document:
        raise ConfigError(
            "no 'version' key: this is the original (legacy) layout",
            where=str(path),
            hint="upgrade it with: zen config migrate",
        )
    if isinstance(version, int) and not isinstance(version, bool) and version > CURRENT_VERSION:
        raise ConfigError(
            f"written by a newer zenconfig (version {version}; this one reads {CURRENT_VERSION})",
            where=str(path),
            hint="upgrade zenconfig; the file was left as it is",
        )


def check(document: Document, path: Path) -> None:
    """Raise ConfigError unless ``document`` is valid; fast when it is."""
    from . import fastcheck

    _check_version(document, path)
    if not fastcheck.certainly_valid(document):
        validate(document, path)


def validate(document: Document, path: Path) -> Config:
    """The validated model of ``document``, or ConfigError naming each bad key."""
    from pydantic import ValidationError

    from .models import Config

    _check_version(document, path)
    try:
        return Config.model_validate(document)
    except ValidationError as e:
        lines = describe_errors(e)
        count = f"{len(lines)} problem" + ("s" if len(lines) != 1 else "")
        raise ConfigError(
            f"invalid config, {count}",
            where=str(path),
            details=["  " + line for line in lines],
            hint="fix the keys above, or run: zen config edit",
        ) from None


# -- reading -----------------------------------------------------------------


def load(path: Path) -> Loaded:
    """Read and check ``path``; a missing file is an empty memory config."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Loaded(path, empty_document(), exists=False)
    except IsADirectoryError as e:
        raise ConfigError("is a directory, not a config file", where=str(path)) from e
    except PermissionError as e:
        raise ConfigError("cannot read the file: permission denied", where=str(path)) from e
    doc, directive = parse(raw, path)
    check(doc, path)
    return Loaded(path, doc, exists=True, toml_schema=directive, raw=raw)


# -- writing -----------------------------------------------------------------


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


def ensure_private_dir(directory: Path) -> None:
    """Create ``directory`` (and parents) with mode 0700 if it does not exist."""
    if not directory.exists():
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
    ensure_private_dir(target.parent)
    limit = (
        timeout
        if timeout is not None
        else paths.float_from_env(paths.ENV_LOCK_TIMEOUT, paths.DEFAULT_LOCK_TIMEOUT)
    )
    lock = fasteners.InterProcessLock(str(paths.lock_path(target)))
    if not lock.acquire(blocking=True, timeout=limit, delay=0.005, max_delay=0.05):
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


def update(path: Path, change: Callable[[Document], T]) -> T:
    """Read-modify-write under the lock: ``change`` edits the document in place."""
    with locked(path):
        current = load(path)
        document = copy.deepcopy(current.document)
        result = change(document)
        if document != current.document or not current.exists:
            write(path, document, current.toml_schema)
        return result
