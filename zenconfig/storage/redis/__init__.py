"""The Redis store. This package is the only code that imports redis.

``client``: the one client builder (bytes, TLS, no retries, timeouts).
``classify``: the one error classifier. ``contact``: the bounded first
contact and the per-process clients. ``store`` and ``threads``: the
``RedisStore`` (key/value calls, the atomic thread scripts of ``scripts``,
listing and moving many threads). ``probe``: the stages of test-connection.
``moving``: bulk data movement for copy and stats.
"""

from __future__ import annotations

from .classify import translate
from .client import build_client, raw, text, tls_kwargs
from .contact import close_all, open_store
from .store import GLOB_SPECIAL, RedisStore

__all__ = [
    "GLOB_SPECIAL",
    "RedisStore",
    "build_client",
    "close_all",
    "open_store",
    "raw",
    "text",
    "tls_kwargs",
    "translate",
]
