"""zenconfig: storage configuration and runtime for the zen assistant."""

from __future__ import annotations

__version__ = "0.1.0"
