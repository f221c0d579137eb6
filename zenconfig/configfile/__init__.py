"""The config file: read, check, write atomically under a lock.

The file is kept as a plain document (dict) so that what the user wrote is
preserved; ``Loaded.config`` builds the pydantic model only when asked.
Every write validates the document first (``checking``), then replaces the
file atomically under an advisory lock (``writing``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from .. import defaults, paths
from .checking import check, describe_errors, validate
from .parsing import SCHEMA_DIRECTIVE, SYNTAX_HINT, Document, parse
from .reading import MAX_BYTES, read

TYPE_CHECKING = False  # typing itself costs a bare Python start; see zenconfig.values
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from ..models import Config
    from ..trust import Trust
    from .writing import atomic_write, drop_none, ensure_private_dir, locked, serialize, write

    T = TypeVar("T")

_WRITING = {"atomic_write", "drop_none", "ensure_private_dir", "locked", "serialize", "write"}


def __getattr__(name: str) -> Any:
    """The writing functions load on first use: reading commands never need them."""
    if name not in _WRITING:
        raise AttributeError(f"module 'zenconfig.configfile' has no attribute {name!r}")
    from . import writing

    return getattr(writing, name)


__all__ = [
    "MAX_BYTES",
    "SCHEMA_DIRECTIVE",
    "SYNTAX_HINT",
    "Document",
    "Loaded",
    "atomic_write",
    "check",
    "describe_errors",
    "drop_none",
    "empty_document",
    "ensure_private_dir",
    "load",
    "locked",
    "parse",
    "read",
    "serialize",
    "update",
    "validate",
    "with_schema",
    "write",
]


class Loaded:
    """A config file as read and checked; ``config`` builds the model on first use.

    ``trust`` is the verdict on the very file that was parsed (None when there
    was no file): a password command runs only when it is trusted.
    """

    def __init__(
        self,
        path: Path,
        document: Document,
        exists: bool,
        toml_schema: str | None = None,
        raw: bytes = b"",
        trust: Trust | None = None,
    ) -> None:
        self.path = path
        self.document = document
        self.exists = exists
        self.toml_schema = toml_schema
        self.raw = raw
        self.trust = trust

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, exists={self.exists})"

    @cached_property
    def config(self) -> Config:
        return validate(self.document, self.path)


def empty_document(schema_ref: str | None = None) -> Document:
    doc: Document = {}
    if schema_ref:
        doc["$schema"] = schema_ref
    doc["version"] = defaults.CURRENT_VERSION
    doc["storage"] = {
        "type": defaults.STORAGE_TYPE,
        "fallback": defaults.FALLBACK,
        "redis": {"connections": {}},
    }
    return doc


def load(path: Path) -> Loaded:
    """Read (once, from one descriptor) and check ``path``; absent = empty memory config."""
    found = read(path)
    if found is None:
        return Loaded(path, empty_document(), exists=False)
    raw, trust = found
    doc, directive = parse(raw, path)
    check(doc, path)
    return Loaded(path, doc, exists=True, toml_schema=directive, raw=raw, trust=trust)


def update(path: Path, change: Callable[[Document], T]) -> T:
    """Read-modify-write under the lock: ``change`` edits the document in place."""
    from .writing import locked, write

    with locked(path):
        current = load(path)
        document = copy.deepcopy(current.document)
        result = change(document)
        if not current.exists:  # a new file: editors check it from the start, as after init
            write(path, with_schema(path, document))
        elif document != current.document:
            write(path, document, current.toml_schema)
        return result


SCHEMA_REF = "./" + paths.SCHEMA_FILE_NAME


def with_schema(path: Path, document: Document) -> Document:
    """Write the JSON Schema beside a new config file; ``document`` pointing at it
    (``$schema`` first; written as the ``#:schema`` line in TOML). Caller holds the lock."""
    from .. import schema
    from .writing import atomic_write

    atomic_write(path.parent / paths.SCHEMA_FILE_NAME, schema.shipped().encode("utf-8"))
    return {"$schema": SCHEMA_REF, **{k: v for k, v in document.items() if k != "$schema"}}
