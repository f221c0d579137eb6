"""zenconfig: storage configuration and runtime for the zen assistant.

What a host CLI calls (each loads its heavy parts only when used)::

    from zenconfig import open_storage, ConversationStore
    store = open_storage()                 # memory, or the resolved Redis project
    conversations = ConversationStore(store)
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs a bare Python start (zenconfig.values)
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_config": ("zenconfig.runtime", "load_config"),
    "resolve": ("zenconfig.runtime", "resolve"),
    "open_storage": ("zenconfig.runtime", "open_storage"),
    "get_storage_backend": ("zenconfig.runtime", "get_storage_backend"),
    "ConversationStore": ("zenconfig.storage.conversations", "ConversationStore"),
    "ConversationTurn": ("zenconfig.storage.conversations", "ConversationTurn"),
    "ThreadContext": ("zenconfig.storage.conversations", "ThreadContext"),
    "ZenConfigError": ("zenconfig.errors", "ZenConfigError"),
}
__all__ = [
    "ConversationStore",
    "ConversationTurn",
    "ThreadContext",
    "ZenConfigError",
    "get_storage_backend",
    "load_config",
    "open_storage",
    "resolve",
]

if TYPE_CHECKING:
    from .errors import ZenConfigError
    from .runtime import get_storage_backend, load_config, open_storage, resolve
    from .storage.conversations import ConversationStore, ConversationTurn, ThreadContext


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'zenconfig' has no attribute {name!r}")
    import importlib

    module, attr = _EXPORTS[name]
    return getattr(importlib.import_module(module), attr)
