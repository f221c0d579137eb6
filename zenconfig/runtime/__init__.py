"""The runtime a host calls: choose the store, open it, fall back when Redis is down.

It sits above the stores (``zenconfig.storage``), which know nothing of the
config file: the resolver reads the flags, the environment, ``.zen-project``
and the file, and hands a store plain settings (``zenconfig.spec``).
"""

from __future__ import annotations

from .opening import get_storage_backend, load_config, open_storage, reset, resolve
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
