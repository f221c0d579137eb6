"""open_storage: resolve, open the chosen store, fall back to memory when Redis is down.

The memory path (the default, taken on every zen turn) imports neither redis,
keyring, pydantic-settings nor pydantic. The Redis path reads the file once,
builds a plain ``ConnectionSpec`` and hands it to the Redis adapter.

Fallback: an unreachable server, or a password source that is unavailable on
this machine, with ``storage.fallback: "memory"`` gives a degraded memory
store and one ``zen: warning:`` line per project and process; with
``"error"`` it raises (exit 4 or 5). A wrong password, an ACL denial or a
failed TLS verification is never "unavailable": it raises.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from .. import configfile, paths
from ..errors import (
    ConfigError,
    SecretUnavailableError,
    StorageUnavailableError,
    UnknownProjectError,
)
from ..storage.base import Store
from ..storage.memory import MemoryStore
from . import zenenv
from .config import load_config
from .resolver import Request, Selection
from .resolver import resolve as resolve_layers

TYPE_CHECKING = False  # typing costs a bare Python start (zenconfig.values)
if TYPE_CHECKING:
    from typing import Any

    from .. import spec

_DEFAULTS: dict[str, Any] = {}
_MEMORY: dict[str, MemoryStore] = {}
_WARNED: set[str] = set()
_BACKEND: dict[str, Any] = {}
_LOCK = threading.Lock()

PathLike = str | os.PathLike[str]


def loader(config: PathLike | None = None) -> Callable[[], configfile.Loaded]:
    """Read the config file at most once, when first asked."""
    cache: list[configfile.Loaded] = []

    def load() -> configfile.Loaded:
        if not cache:
            cache.append(load_config(config))
        return cache[0]

    return load


def configure(
    *,
    project: str | None = None,
    memory: bool = False,
    local: bool = False,
    config: PathLike | None = None,
) -> None:
    """Root options for this whole process: what ``open_storage()`` and
    ``get_storage_backend()`` use when called without arguments (a host CLI's
    ``--project``/``--memory``/``--local``/``--config``, see ``zenconfig.cli.mount``)."""
    with _LOCK:
        _DEFAULTS.clear()
        _DEFAULTS.update(project=project, memory=memory, local=local, config=config)
        _BACKEND.clear()


def select(
    project: str | None = None,
    memory: bool = False,
    *,
    local: bool = False,
    config: PathLike | None = None,
    cwd: Path | None = None,
) -> tuple[Selection, Callable[[], configfile.Loaded]]:
    if not (project or memory or local):
        project = _DEFAULTS.get("project")
        memory = bool(_DEFAULTS.get("memory"))
        local = bool(_DEFAULTS.get("local"))
    config = config or _DEFAULTS.get("config")
    load = loader(config)
    request = Request(project, memory, local)
    try:
        return resolve_layers(request, load, cwd=cwd), load
    except (ConfigError, UnknownProjectError) as e:
        # A cloned repository's .zen-project that is malformed or names none of
        # your projects must not take zen's memory away: warn once, go on without it.
        if not (e.where or "").endswith(paths.PROJECT_FILE_NAME):
            raise
        warn_once(f"project-file:{e.where}", f"{e.message}, ignored ({e.where})")
        return resolve_layers(request, load, cwd=cwd, project_file=False), load


def resolve(
    project: str | None = None,
    memory: bool = False,
    *,
    local: bool = False,
    config: PathLike | None = None,
    cwd: Path | None = None,
) -> Selection:
    """Which store ``open_storage`` would open, and why."""
    return select(project, memory, local=local, config=config, cwd=cwd)[0]


def memory_store(name: str = "memory", **kwargs: Any) -> MemoryStore:
    """This process's memory store of that name (one per name, shared)."""
    with _LOCK:
        store = _MEMORY.get(name)
        if store is None:
            store = _MEMORY[name] = MemoryStore(name=name, **kwargs)
        return store


def warn_once(name: str, message: str) -> None:
    with _LOCK:
        if name in _WARNED:
            return
        _WARNED.add(name)
    sys.stderr.write(f"zen: warning: {message}\n")
    sys.stderr.flush()


def open_storage(
    project: str | None = None,
    memory: bool = False,
    *,
    local: bool = False,
    config: PathLike | None = None,
    cwd: Path | None = None,
) -> Store:
    """The store the resolution order picks (see ``zenconfig.runtime.resolver``)."""
    selection, load = select(project, memory, local=local, config=config, cwd=cwd)
    if selection.backend == "memory":
        store = memory_store()
        store.selection = selection
        return store
    if selection.backend == "local":
        from ..storage import local as local_backend  # sqlite3 loads on this path only

        loaded = load()
        from .. import spec

        local_store = local_backend.open_store(spec.local(loaded.document), loaded.path)
        local_store.selection = selection
        return local_store
    assert selection.project is not None
    loaded = load()
    if isinstance(loaded, zenenv.FromEnvironment):
        warn_once("zen-env", f"using zen's REDIS_* settings (no config file); {zenenv.HINT}")
    from .. import spec

    conn = spec.connection(selection.project, spec.connections(loaded.document)[selection.project])
    opened = open_redis(conn, loaded, spec.storage(loaded.document).fallback)
    opened.selection = selection
    return opened


def open_redis(conn: spec.ConnectionSpec, loaded: configfile.Loaded, fallback: str) -> Store:
    """The project's Redis store, or its degraded memory stand-in (see the module doc)."""
    from ..storage import redis as redis_backend

    try:
        password = None
        if conn.password is not None:  # no password, no keyring machinery to load
            from .. import secrets

            password = secrets.resolve(conn.password, conn.name, loaded)
        return redis_backend.open_store(conn, password)
    except (StorageUnavailableError, SecretUnavailableError) as e:
        if fallback == "error":
            e.hint = e.hint or "start Redis, or set storage.fallback to 'memory' to keep working"
            raise
        warn_once(
            conn.name,
            f"{e.message}; using memory for now: conversations will not outlive "
            "this process (storage.fallback is 'memory')",
        )
        return memory_store(
            f"degraded:{conn.name}",
            default_ttl=conn.conversation_ttl_seconds,
            max_turns=conn.max_turns,
            degraded=True,
            reason=e.message,
        )


def get_storage_backend() -> Any:
    """Drop-in for zen's ``get_storage_backend()`` (both generations, see
    ``runtime.compat``): one backend per process, on the store the resolution
    order picks."""
    with _LOCK:
        cached = _BACKEND.get("store")
    if cached is not None:
        return cached
    from .compat import ZenBackend

    backend = ZenBackend(open_storage())
    with _LOCK:
        return _BACKEND.setdefault("store", backend)


def reset() -> None:
    """Forget this process's stores and warnings (tests; long-lived hosts after reconfiguring)."""
    with _LOCK:
        _DEFAULTS.clear()
        _MEMORY.clear()
        _WARNED.clear()
        _BACKEND.clear()
    local_backend = sys.modules.get(__package__.rsplit(".", 1)[0] + ".storage.local")
    if local_backend is not None:  # never imported (with sqlite3) just to reset
        local_backend.close_all()
