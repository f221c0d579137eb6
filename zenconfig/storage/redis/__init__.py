"""The Redis store. This package is the only code that imports redis.

``client``: building a project's client (TLS, timeouts, Sentinel, Cluster),
classifying errors, the bounded first contact and the fallback decision.
``store``: the ``RedisStore`` (key/value calls and the atomic thread scripts).
``probe``: the stages of test-connection. ``moving``: bulk data movement.
"""

from __future__ import annotations

from .classify import translate
from .client import build_client, close_all, open_store, tls_kwargs
from .store import GLOB_SPECIAL, RedisStore

__all__ = [
    "GLOB_SPECIAL",
    "RedisStore",
    "build_client",
    "close_all",
    "open_store",
    "tls_kwargs",
    "translate",
]
