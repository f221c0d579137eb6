"""Moving stored data: stats, export/import (JSON Lines), copy between projects."""

from __future__ import annotations

from .copy import CopyReport, copy, verify
from .jsonl import ImportReport, export, import_
from .stats import stats

__all__ = ["CopyReport", "ImportReport", "copy", "export", "import_", "stats", "verify"]
