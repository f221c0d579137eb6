"""Choose the store: one resolver, built on pydantic-settings sources.

Sources, highest first: init (the ``--memory``/``--project`` flags) > env
(``ZEN_STORAGE_TYPE``, ``ZEN_PROJECT``) > the nearest ``.zen-project`` file >
the config file. The order of DESIGN.md section 2 is applied over them, and
every answer carries its source. See ``zenconfig.paths`` for the names.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from . import paths
from .configfile import Loaded
from .errors import ConfigError, UnknownProjectError, UsageError


@dataclass(frozen=True)
class Selection:
    """What the resolver chose and why."""

    backend: str  # "memory" or "redis"
    project: str | None
    source: str  # "flag", "env", "project-file", "config" or "default"
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "project": self.project,
            "source": self.source,
            "detail": self.detail,
        }


@cache
def _sources() -> Any:
    """The pydantic-settings classes, built on first use (the import is heavy)."""
    from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

    class _Choice(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="ZEN_", extra="ignore")

        storage_type: str | None = None
        project: str | None = None

    class ProjectFileSource(PydanticBaseSettingsSource):
        """The nearest ``.zen-project``: a project name and nothing else."""

        def __init__(self, settings_cls: type[BaseSettings], start: Path | None) -> None:
            super().__init__(settings_cls)
            self.path = paths.find_project_file(start)

        def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
            return None, field_name, False

        def __call__(self) -> dict[str, Any]:
            if self.path is None:
                return {}
            import re

            from .rules import NAME_PATTERN

            try:
                text = self.path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise ConfigError("cannot read the project file", where=str(self.path)) from e
            lines = [
                ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")
            ]
            if len(lines) != 1 or not re.fullmatch(NAME_PATTERN, lines[0]):
                raise ConfigError(
                    "a .zen-project file holds one project name and nothing else",
                    where=str(self.path),
                    hint="write just the name, e.g.: zen config use NAME --here",
                )
            return {"project": lines[0]}

    class ConfigFileSource(PydanticBaseSettingsSource):
        def __init__(self, settings_cls: type[BaseSettings], loaded: Loaded) -> None:
            super().__init__(settings_cls)
            self.loaded = loaded

        def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
            return None, field_name, False

        def __call__(self) -> dict[str, Any]:
            storage = self.loaded.config.storage
            values: dict[str, Any] = {"storage_type": storage.type}
            if storage.type == "redis" and storage.redis.default:
                values["project"] = storage.redis.default
            return values

    return _Choice, ProjectFileSource, ConfigFileSource


def resolve(
    loaded: Loaded,
    *,
    project: str | None = None,
    memory: bool = False,
    cwd: Path | None = None,
) -> Selection:
    """Apply DESIGN.md section 2 to the flags, env, .zen-project and the file."""
    from pydantic_settings import EnvSettingsSource, InitSettingsSource

    _Choice, ProjectFileSource, ConfigFileSource = _sources()
    flags = {"storage_type": "memory" if memory else None, "project": project}
    project_file = ProjectFileSource(_Choice, cwd)
    sources: list[tuple[str, Any]] = [
        ("flag", InitSettingsSource(_Choice, {k: v for k, v in flags.items() if v})),
        ("env", EnvSettingsSource(_Choice)),
        ("project-file", project_file),
        ("config", ConfigFileSource(_Choice, loaded)),
    ]
    found: dict[str, tuple[Any, str]] = {}
    for origin, provider in sources:
        for key, value in provider().items():
            if value not in (None, ""):
                found.setdefault(key, (value, origin))

    def detail(key: str, source: str, value: Any) -> str:
        if source == "flag":
            return "--memory" if key == "storage_type" else f"--project {value}"
        if source == "env":
            env = paths.ENV_STORAGE_TYPE if key == "storage_type" else paths.ENV_PROJECT
            return f"{env}={value}"
        if source == "project-file":
            return str(project_file.path)
        return f"storage.redis.default in {loaded.path}"

    storage_type = found.get("storage_type")
    if storage_type and storage_type[1] == "env" and storage_type[0] not in ("memory", "redis"):
        raise UsageError(
            f"{paths.ENV_STORAGE_TYPE} must be 'memory' or 'redis', not '{storage_type[0]}'"
        )
    if storage_type and storage_type[0] == "memory" and storage_type[1] in ("flag", "env"):
        value, source = storage_type
        return Selection("memory", None, source, detail("storage_type", source, value))
    chosen = found.get("project")
    if chosen is None and storage_type and storage_type[0] == "redis":
        default = loaded.config.storage.redis.default
        chosen = (default, "config") if default else None
    if chosen is not None:
        name, source = chosen
        where = detail("project", source, name)
        if name not in loaded.config.connections:
            raise UnknownProjectError(name, loaded.config.names(), where=where)
        return Selection("redis", name, source, where)
    if loaded.exists:
        return Selection("memory", None, "config", f"storage.type 'memory' in {loaded.path}")
    return Selection("memory", None, "default", "the default; no config file")
