"""Conversation stores: in memory, or one pooled Redis client per project.

The stores know nothing of the config file: ``zenconfig.runtime`` chooses one
and hands it plain settings. Nothing here imports redis until a Redis store
is opened.
"""

from __future__ import annotations

from .base import Store

__all__ = ["Store"]
