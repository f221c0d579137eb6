"""The use cases behind ``zen config``: they return values and raise
``ZenConfigError``; they never print and never pick an exit code."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import configfile, paths
from ..configfile import Document, Loaded
from ..errors import UnknownProjectError, UsageError
from ..rules import NAME_PATTERN

if TYPE_CHECKING:
    from ..models import Config, Connection


@dataclass
class Context:
    """What the root options say: which file, and any --project/--memory."""

    config_path: Path
    path_source: str = "default"
    project: str | None = None
    memory: bool = False
    cwd: Path | None = None

    @classmethod
    def create(
        cls, config: str | None = None, project: str | None = None, memory: bool = False
    ) -> Context:
        path, source = paths.config_path(config)
        return cls(path, source, project, memory)

    def load(self) -> Loaded:
        return configfile.load(self.config_path)


@dataclass(frozen=True)
class PasswordInput:
    """Where a new password comes from. ``secret`` goes to the keyring."""

    secret: str | None = field(default=None, repr=False)
    env: str | None = None
    command: list[str] | None = None

    def reference(self, name: str) -> dict[str, Any]:
        if self.env:
            return {"source": "env", "env": self.env}
        if self.command:
            return {"source": "command", "command": list(self.command)}
        return {"source": "keyring", "service": paths.KEYRING_SERVICE, "username": name}


def connections(doc: Document) -> dict[str, Any]:
    storage = doc.setdefault("storage", {})
    redis = storage.setdefault("redis", {})
    conns: dict[str, Any] = redis.setdefault("connections", {})
    return conns


def require(config: Config, name: str, where: str | None = None) -> Connection:
    try:
        return config.connections[name]
    except KeyError:
        raise UnknownProjectError(name, config.names(), where=where) from None


def require_entry(doc: Document, name: str) -> dict[str, Any]:
    """The document's entry for project ``name`` (no model needed)."""
    conns = connections(doc)
    if name not in conns:
        raise UnknownProjectError(name, sorted(conns))
    entry: dict[str, Any] = conns[name]
    return entry


def check_name(name: str) -> None:
    if not re.fullmatch(NAME_PATTERN, name) or len(name) > 64:
        raise UsageError(
            f"'{name}' is not a valid project name",
            hint="use letters, digits, '_', '.' and '-' (at most 64)",
        )


def password_summary(ref: Any) -> str:
    """keyring:SERVICE/USER, env:VAR, command:PROGRAM or none (a model or a dict)."""
    if ref is None:
        return "none"
    if not isinstance(ref, dict):
        ref = ref.model_dump()
    if ref["source"] == "keyring":
        return f"keyring:{ref.get('service', paths.KEYRING_SERVICE)}/{ref['username']}"
    if ref["source"] == "env":
        return f"env:{ref['env']}"
    return "command:" + os.path.basename(ref["command"][0])


# the use cases, one module per kind (they import the helpers above)
from .files import edit, init, validate_file  # noqa: E402
from .projects import (  # noqa: E402
    add_project,
    get_field,
    parse_url,
    remove_project,
    rename_project,
    set_field,
    set_password,
    use,
)
from .views import (  # noqa: E402
    current,
    doctor,
    list_projects,
    show,
    test_connections,
    tls_warnings,
)

__all__ = [
    "Context",
    "PasswordInput",
    "add_project",
    "check_name",
    "connections",
    "current",
    "doctor",
    "edit",
    "get_field",
    "init",
    "list_projects",
    "parse_url",
    "password_summary",
    "remove_project",
    "rename_project",
    "require",
    "require_entry",
    "set_field",
    "set_password",
    "show",
    "test_connections",
    "tls_warnings",
    "use",
    "validate_file",
]
