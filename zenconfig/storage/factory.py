"""open_storage: resolve the project, open its store, fall back to memory.

The memory path (the default, taken on every zen run) imports neither redis,
keyring, pydantic-settings nor pydantic: when the answer is plainly memory it
is given without the full resolver. Everything else goes through
``settings.resolve``, the resolver `zen config current` uses.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

from .. import configfile, paths
from ..errors import StorageUnavailableError
from ..settings import Selection
from .base import Store
from .memory import MemoryStore

_MEMORY: dict[str, MemoryStore] = {}
_WARNED: set[str] = set()
_BACKEND: dict[str, Store] = {}
_LOCK = threading.Lock()


def _plainly_memory(
    project: str | None, memory: bool, path: Path, cwd: Path | None
) -> Selection | None:
    """The memory answer when no project can be in play; None when unsure."""
    if memory:
        return Selection("memory", None, "flag", "--memory")
    if os.environ.get(paths.ENV_STORAGE_TYPE) == "memory":
        return Selection("memory", None, "env", f"{paths.ENV_STORAGE_TYPE}=memory")
    names = {paths.ENV_PROJECT.lower(), paths.ENV_STORAGE_TYPE.lower()}
    if project or any(k.lower() in names for k in os.environ):
        return None
    if paths.find_project_file(cwd) is not None:
        return None
    if not path.exists():
        return Selection("memory", None, "default", "the default; no config file")
    storage = configfile.load(path).document.get("storage") or {}
    if storage.get("type", "memory") == "memory":
        return Selection("memory", None, "config", f"storage.type 'memory' in {path}")
    return None


def _memory_store(name: str = "memory", **kwargs: Any) -> MemoryStore:
    with _LOCK:
        store = _MEMORY.get(name)
        if store is None:
            store = _MEMORY[name] = MemoryStore(name=name, **kwargs)
        return store


def _warn_once(name: str, message: str) -> None:
    with _LOCK:
        if name in _WARNED:
            return
        _WARNED.add(name)
    sys.stderr.write(f"zen: warning: {message}\n")
    sys.stderr.flush()


def _select(
    project: str | None, memory: bool, config: str | os.PathLike[str] | None, cwd: Path | None
) -> tuple[Selection, configfile.Loaded | None]:
    """The choice, and the loaded file when the full resolver needed it."""
    from .. import settings

    path = paths.config_path(config)[0]
    quick = _plainly_memory(project, memory, path, cwd)
    if quick is not None:
        return quick, None
    loaded = configfile.load(path)
    return settings.resolve(loaded, project=project, memory=memory, cwd=cwd), loaded


def resolve(
    project: str | None = None,
    memory: bool = False,
    *,
    config: str | os.PathLike[str] | None = None,
    cwd: Path | None = None,
) -> Selection:
    """Which store ``open_storage`` would open, and why (DESIGN.md section 2)."""
    return _select(project, memory, config, cwd)[0]


def open_storage(
    project: str | None = None,
    memory: bool = False,
    *,
    config: str | os.PathLike[str] | None = None,
    cwd: Path | None = None,
) -> Store:
    """The store the resolution order picks; Redis unreachable + fallback
    'memory' gives a degraded memory store and one warning on stderr."""
    selection, loaded = _select(project, memory, config, cwd)
    if selection.project is None or loaded is None:
        store = _memory_store()
        store.selection = selection
        return store
    from .. import secrets

    name = selection.project
    conn = loaded.config.connections[name]
    password = secrets.resolve(conn.password, name, loaded.path)
    from . import redis as redis_backend

    try:
        opened: Store = redis_backend.open_store(name, conn, password)
    except StorageUnavailableError as e:
        if loaded.config.storage.fallback == "error":
            e.hint = "start Redis, or set storage.fallback to 'memory' to keep working"
            raise
        _warn_once(
            name,
            f"{e.message}; using memory for now: conversations will not outlive "
            "this process (storage.fallback is 'memory')",
        )
        opened = _memory_store(
            f"degraded:{name}",
            default_ttl=conn.conversation_ttl_seconds,
            max_turns=conn.max_turns,
            degraded=True,
            reason=e.message,
        )
    opened.selection = selection
    return opened


def get_storage_backend() -> Store:
    """Drop-in for zen's ``get_storage_backend()``: one store per process,
    with ``setex(key, ttl, value)``, ``set_with_ttl`` and ``get``."""
    with _LOCK:
        cached = _BACKEND.get("store")
    if cached is not None:
        return cached
    store = open_storage()
    with _LOCK:
        return _BACKEND.setdefault("store", store)


def reset() -> None:
    """Forget this process's stores and warnings (tests; long-lived hosts after reconfiguring)."""
    with _LOCK:
        _MEMORY.clear()
        _WARNED.clear()
        _BACKEND.clear()
