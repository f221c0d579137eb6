"""What every use case shares: the invocation's context and small document helpers."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .. import configfile, defaults, paths, spec
from ..configfile import Document, Loaded
from ..errors import UnknownProjectError, UsageError
from ..rules import NAME_MAX, NAME_PATTERN

T = TypeVar("T")


@dataclass
class Context:
    """What the root options say: which file, and any --project/--memory/--local."""

    config_path: Path
    path_source: str = "default"
    project: str | None = None
    memory: bool = False
    local: bool = False
    cwd: Path | None = None

    @classmethod
    def create(
        cls,
        config: str | None = None,
        project: str | None = None,
        memory: bool = False,
        local: bool = False,
    ) -> Context:
        path, source = paths.config_path(config)
        return cls(path, source, project, memory, local)

    def load(self) -> Loaded:
        """The config file, read and checked (see ``runtime.config.read_config``)."""
        from ..runtime.config import read_config

        return read_config(self.config_path, self.path_source)

    def update(self, change: Callable[[Document], T]) -> T:
        """Change the config file under its lock (``configfile.update``). The default
        file is created when missing; one named by ``--config``/``ZEN_CONFIG`` must exist."""
        self.check_named()
        return configfile.update(self.config_path, change)

    def check_named(self) -> None:
        """A config file named by ``--config``/``ZEN_CONFIG`` exists (before a change)."""
        from ..runtime.config import missing

        if self.path_source != "default" and not os.path.lexists(self.config_path):
            raise missing(self.config_path, self.path_source)

    def loader(self) -> Callable[[], Loaded]:
        cache: list[Loaded] = []

        def load() -> Loaded:
            if not cache:
                cache.append(self.load())
            return cache[0]

        return load


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
        return {"source": "keyring", "service": defaults.KEYRING_SERVICE, "username": name}


def connections(doc: Document) -> dict[str, Any]:
    """The document's project entries, created on the way when absent (for writers)."""
    storage = doc.setdefault("storage", {})
    redis = storage.setdefault("redis", {})
    conns: dict[str, Any] = redis.setdefault("connections", {})
    return conns


def require_entry(doc: Document, name: str, where: str | None = None) -> dict[str, Any]:
    """The document's entry for project ``name``, or UnknownProjectError."""
    conns = spec.connections(doc)
    if name not in conns:
        raise UnknownProjectError(name, sorted(conns), where=where)
    entry: dict[str, Any] = conns[name]
    return entry


def require_spec(doc: Document, name: str, where: str | None = None) -> spec.ConnectionSpec:
    return spec.connection(name, require_entry(doc, name, where))


def check_name(name: str) -> None:
    if len(name) > NAME_MAX or not re.match(NAME_PATTERN, name):
        from ..text import printable

        raise UsageError(
            f"'{printable(name, 80)}' is not a valid project name",
            hint=f"use letters, digits, '_', '.' and '-' (at most {NAME_MAX})",
        )


def password_summary(ref: dict[str, Any] | None) -> str:
    """keyring:SERVICE/USER, env:VAR, command:PROGRAM or none."""
    if ref is None:
        return "none"
    if ref["source"] == "keyring":
        return f"keyring:{ref.get('service', defaults.KEYRING_SERVICE)}/{ref['username']}"
    if ref["source"] == "env":
        return f"env:{ref['env']}"
    return "command:" + os.path.basename(ref["command"][0])


def configure_process(
    config: str | None, project: str | None, memory: bool, local: bool = False
) -> None:
    """Make root options the defaults of ``open_storage()`` in this process (host CLIs)."""
    from ..runtime import opening

    opening.configure(project=project, memory=memory, local=local, config=config)
