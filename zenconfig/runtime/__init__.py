"""The runtime a host calls: choose the store, open it, fall back when Redis is down.

It sits above the stores (``zenconfig.storage``), which know nothing of the
config file: the resolver reads the flags, the environment, ``.zen-project``
and the file, and hands a store plain settings (``zenconfig.spec``). Names
load on first use, so the resolver alone costs only itself.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs a bare Python start (zenconfig.values)
if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:
    from .config import load_config
    from .opening import get_storage_backend, open_storage, reset, resolve
    from .resolver import Request, Selection

__all__ = [
    "Request",
    "Selection",
    "get_storage_backend",
    "load_config",
    "open_storage",
    "reset",
    "resolve",
]
_LAZY = {
    "Request": ".resolver",
    "Selection": ".resolver",
    "get_storage_backend": ".opening",
    "load_config": ".config",
    "open_storage": ".opening",
    "reset": ".opening",
    "resolve": ".opening",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'zenconfig.runtime' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name], __name__), name)
