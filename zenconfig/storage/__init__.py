"""Conversation stores: in-memory by default, or one pooled Redis client per project.

Nothing here imports redis until a Redis project is opened.
"""

from __future__ import annotations

from .base import Store
from .factory import get_storage_backend, open_storage

__all__ = ["Store", "get_storage_backend", "open_storage"]
