"""The resolver as pydantic-settings sources: every layer's say, for doctor and tests.

``resolver.resolve`` is what every command and the runtime use: lazy, small,
and free of pydantic (pydantic-settings alone costs about 17x a bare Python
start, measured, more than a whole ``zen config current``). This module states
the same precedence the way pydantic-settings intends: one ``BaseSettings``
whose sources are the layers in order (flags as init values, then the
environment, ``.zen-project``, the config file, the default), merged field by
field. A layer names a backend, and a project when it has one; the highest
layer naming a backend decides, and Redis takes the highest layer naming a
project. ``tests/runtime/test_resolver.py`` checks on generated flags,
environments, directories and files that both give the same answer.

Doctor uses ``layers`` to show what each layer says, shadowed or not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ..errors import UsageError, ZenConfigError
from .resolver import (
    DEFAULT,
    LAYERS,
    Choice,
    Request,
    Selection,
    from_config,
    from_env,
    from_flags,
    from_project_file,
)
from .resolver import _project as checked_project


class _Layer(PydanticBaseSettingsSource):
    """One precedence layer as a pydantic-settings source."""

    def __init__(self, settings_cls: type[BaseSettings], choice: Choice | None) -> None:
        super().__init__(settings_cls)
        self.choice = choice

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if self.choice is None:
            return {}
        values: dict[str, Any] = {}
        if self.choice.backend:
            values["backend"] = (self.choice.backend, self.choice.source, self.choice.detail)
        if self.choice.project:
            named = self.choice.project_detail or self.choice.detail
            values["project"] = (self.choice.project, self.choice.source, named)
        return values


class StoreChoice(BaseSettings):
    """The merged answer: (value, source, detail) of the backend and of the project."""

    model_config = SettingsConfigDict(extra="ignore")

    backend: tuple[str, str, str] | None = None
    project: tuple[str, str, str] | None = None


def layers(
    request: Request, loaded: Any, *, cwd: Path | None = None, environ: Mapping[str, str]
) -> list[tuple[str, Choice | ZenConfigError | None]]:
    """What each layer says, highest first: a choice, nothing (None), or its error."""
    readers: list[tuple[str, Callable[[], Choice | None]]] = [
        ("flag", lambda: from_flags(request)),
        ("env", lambda: from_env(environ)),
        ("project-file", lambda: from_project_file(cwd)),
        ("config", lambda: from_config(loaded)),
        ("default", lambda: DEFAULT),
    ]
    found: list[tuple[str, Choice | ZenConfigError | None]] = []
    for name, read in readers:
        try:
            found.append((name, read()))
        except ZenConfigError as e:
            found.append((name, e))
    return found


def resolve(
    request: Request, loaded: Any, *, cwd: Path | None = None, environ: Mapping[str, str]
) -> Selection:
    """The same answer as ``resolver.resolve``, through pydantic-settings.

    A layer that fails (a malformed ``.zen-project``) matters only when the
    answer needed it: when no layer above it decided.
    """
    results = layers(request, loaded, cwd=cwd, environ=environ)
    assert tuple(name for name, _ in results) == LAYERS
    said = {name: (r if isinstance(r, Choice) else None) for name, r in results}
    errors = [(LAYERS.index(name), r) for name, r in results if isinstance(r, ZenConfigError)]

    class Choices(StoreChoice):
        @classmethod
        def settings_customise_sources(
            cls, settings_cls: type[BaseSettings], *args: Any, **kwargs: Any
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return tuple(_Layer(settings_cls, said[name]) for name in LAYERS)

    merged = Choices()
    assert merged.backend is not None  # the default layer always names one
    backend, source, detail = merged.backend
    needed = LAYERS.index(source)
    if backend == "redis":
        needed = LAYERS.index(merged.project[1]) if merged.project else len(LAYERS)
    for index, error in errors:
        if index <= needed:
            raise error
    if backend != "redis":
        return Selection(backend, None, source, detail)
    if merged.project is None:
        raise UsageError(f"{detail} asks for Redis, but no project is chosen")
    name, project_source, named = merged.project
    if project_source != source:  # Redis asked for above, the project named below
        named = f"{detail}; {named}"
    return checked_project(name, source, named, lambda: loaded)
