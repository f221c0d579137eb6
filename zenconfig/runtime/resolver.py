"""Choosing the store: the one resolver (see ``zenconfig.paths`` for the names).

Layers, highest first; the first layer that names a store decides:

1. flags: ``--memory``, ``--local`` or ``--project NAME`` (one at most)
2. environment: ``ZEN_STORAGE_TYPE`` (``memory``, ``local``, ``file`` = local,
   ``redis``), then ``ZEN_PROJECT``
3. the nearest trusted ``.zen-project`` (see ``zenconfig.projectfile``)
4. the config file: ``storage.type``, and ``storage.redis.default`` for redis
5. the default: memory

A layer that asks for Redis without naming a project (``ZEN_STORAGE_TYPE=redis``)
takes the project from the layers below it. Every answer says where it came
from. Layers are consulted lazily: ``--memory`` never reads the config file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from .. import paths, projectfile
from ..errors import UnknownProjectError, UsageError
from ..text import printable
from ..values import Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

LAYERS = ("flag", "env", "project-file", "config", "default")
STORAGE_TYPES = {"memory": "memory", "local": "local", "file": "local", "redis": "redis"}


class Selection(Value):
    """What the resolver chose and why."""

    __slots__ = ("backend", "detail", "project", "source")
    backend: str  # "memory", "local" or "redis"
    project: str | None
    source: str  # one of LAYERS
    detail: str

    def __init__(self, backend: str, project: str | None, source: str, detail: str) -> None:
        self._set(backend=backend, project=project, source=source, detail=detail)

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "project": self.project,
            "source": self.source,
            "detail": self.detail,
        }

    @property
    def short(self) -> str:
        """The project name, or ``memory``/``local`` (for shell prompts)."""
        return self.project or self.backend


class Choice(Value):
    """What one layer says: a backend, a project, or both."""

    __slots__ = ("backend", "detail", "project", "project_detail", "source")
    source: str
    detail: str
    backend: str | None
    project: str | None
    project_detail: str | None  # where the project came from, when not ``detail``

    def __init__(
        self,
        source: str,
        detail: str,
        backend: str | None = None,
        project: str | None = None,
        project_detail: str | None = None,
    ) -> None:
        self._set(
            source=source,
            detail=detail,
            backend=backend,
            project=project,
            project_detail=project_detail,
        )


class Request(Value):
    """The flags of one invocation."""

    __slots__ = ("local", "memory", "project")
    project: str | None
    memory: bool
    local: bool

    def __init__(
        self, project: str | None = None, memory: bool = False, local: bool = False
    ) -> None:
        self._set(project=project, memory=memory, local=local)


def from_flags(request: Request) -> Choice | None:
    given = [
        flag
        for flag, on in (
            ("--memory", request.memory),
            ("--local", request.local),
            ("--project", request.project),
        )
        if on
    ]
    if len(given) > 1:
        raise UsageError(" and ".join(given) + " exclude each other; give one")
    if request.memory:
        return Choice("flag", "--memory", "memory")
    if request.local:
        return Choice("flag", "--local", "local")
    if request.project:
        return Choice("flag", f"--project {request.project}", "redis", request.project)
    return None


def storage_type(raw: str) -> str:
    """The backend a ``ZEN_STORAGE_TYPE`` value names."""
    backend = STORAGE_TYPES.get(raw.strip().lower())
    if backend is None:
        raise UsageError(
            f"{paths.ENV_STORAGE_TYPE} must be memory, local, file or redis, not {raw!r}"
        )
    return backend


def from_env(environ: Mapping[str, str]) -> Choice | None:
    raw = environ.get(paths.ENV_STORAGE_TYPE, "")
    project = environ.get(paths.ENV_PROJECT, "").strip() or None
    if raw.strip():
        backend = storage_type(raw)
        detail = f"{paths.ENV_STORAGE_TYPE}={raw.strip()}"
        if backend != "redis":
            return Choice("env", detail, backend)
        if project:
            detail += f" {paths.ENV_PROJECT}={project}"
        return Choice("env", detail, "redis", project)
    if project:
        return Choice("env", f"{paths.ENV_PROJECT}={project}", "redis", project)
    return None


def from_project_file(cwd: Path | None) -> Choice | None:
    found = projectfile.find(cwd)
    if found is None:
        return None
    return Choice("project-file", printable(str(found.path)), "redis", found.name)


def from_config(loaded: Any) -> Choice | None:
    """The config file's say (a ``configfile.Loaded``)."""
    from .zenenv import FromEnvironment

    if not loaded.exists and not isinstance(loaded, FromEnvironment):
        return None
    from .. import spec

    document, path = loaded.document, loaded.path
    if isinstance(loaded, FromEnvironment):
        named = "REDIS_* variables in the environment (no config file)"
        default = "the default; no config file (REDIS_* apply with ZEN_STORAGE_TYPE=redis)"
        return Choice("config", default, "memory", spec.storage(document).default, named)
    storage = spec.storage(document)
    if storage.type == "redis":
        return Choice("config", f"storage.redis.default in {path}", "redis", storage.default)
    where = f"storage.type '{storage.type}' in {path}"
    default = f"storage.redis.default in {path}"
    return Choice("config", where, storage.type, storage.default, default)


DEFAULT = Choice("default", "the default; no config file", "memory")

Loader = Callable[[], "Any"]  # () -> configfile.Loaded


def resolve(
    request: Request,
    load: Loader,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
    project_file: bool = True,
) -> Selection:
    """Apply the layers; ``load`` reads the config file, only when needed.
    ``project_file=False`` leaves ``.zen-project`` out (see ``runtime.opening``)."""
    env = os.environ if environ is None else environ
    wants_redis: Choice | None = None  # a layer asked for Redis without naming a project

    def config_choice() -> Choice | None:
        return from_config(load())

    layers: list[Callable[[], Choice | None]] = [
        lambda: from_flags(request),
        lambda: from_env(env),
        lambda: from_project_file(cwd) if project_file else None,
        config_choice,
        lambda: DEFAULT,
    ]
    for layer in layers:
        choice = layer()
        if choice is None:
            continue
        if wants_redis is None and choice.backend in ("memory", "local"):
            return Selection(choice.backend, None, choice.source, choice.detail)
        if choice.project:
            named = choice.project_detail or choice.detail
            if wants_redis is None:
                return _project(choice.project, choice.source, named, load)
            return _project(
                choice.project, wants_redis.source, f"{wants_redis.detail}; {named}", load
            )
        if wants_redis is None:
            wants_redis = choice
    assert wants_redis is not None
    raise UsageError(
        f"{wants_redis.detail} asks for Redis, but no project is chosen",
        hint=f"set {paths.ENV_PROJECT}, pass --project NAME, or run: zen config use NAME",
    )


def _project(name: str, source: str, detail: str, load: Loader) -> Selection:
    from .. import spec

    conns = spec.connections(load().document)
    if name not in conns:
        raise UnknownProjectError(name, sorted(conns), where=detail)
    return Selection("redis", name, source, detail)
