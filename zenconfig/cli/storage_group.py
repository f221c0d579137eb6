"""The ``zen storage`` Typer app and the options its commands share.

Commands register on ``storage_app`` from their own modules (``threads``:
threads, show, stats; ``upkeep``: delete, purge, reindex; ``moving``: export,
import; ``storage``: copy); ``storage`` imports them all, so importing it
gives the whole app.
"""

# No `from __future__ import annotations`: see cli/root.py.

from typing import Annotated

import typer

from .boundary import new_app

storage_app = new_app(
    "storage", "Look at stored conversations of the resolved project (or memory)."
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
ProjectOpt = Annotated[
    str | None,
    typer.Option("--project", "-p", metavar="NAME", help="Project (default: the resolved one)."),
]
