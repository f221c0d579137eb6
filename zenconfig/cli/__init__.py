"""The ``zen`` command line. ``config_app`` is importable for host CLIs."""

from __future__ import annotations

from .app import app, main
from .config import config_app
from .mount import mount
from .storage import storage_app

__all__ = ["app", "config_app", "main", "mount", "storage_app"]
