"""The ``zen`` command line (also installed as ``zenconfig``).

``main`` is the console script: the commands a prompt or script runs most go
by the quick path (``cli.quick``, ``cli.quick_storage``: no Typer), everything
else by the Typer app.
``app``, ``config_app``, ``storage_app`` and ``mount`` are for host CLIs;
each loads Typer when first used.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import config_app
    from .hosting import mount
    from .root import app
    from .storage import storage_app

__all__ = ["app", "config_app", "main", "mount", "storage_app"]
_LAZY = {
    "app": ".root",
    "config_app": ".config",
    "storage_app": ".storage",
    "mount": ".hosting",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'zenconfig.cli' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name], __name__), name)


def main() -> None:
    """The ``zen`` and ``zenconfig`` console scripts (``python -m zenconfig`` too)."""
    from .quick import answer

    code = answer(sys.argv[1:])
    if code is None:
        from .quick_storage import answer as storage_answer

        code = storage_answer(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from .root import run

    run()
