"""Root options, kept light: nothing here imports pydantic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from ..core import Context


@dataclass
class Options:
    config: str | None = None
    project: str | None = None
    memory: bool = False
    local: bool = False
    verbose: bool = False


def options(ctx: typer.Context) -> Options:
    """The root options, or defaults when a host CLI mounted ``config_app``."""
    node: typer.Context | None = ctx
    while node is not None:
        if isinstance(node.obj, Options):
            return node.obj
        node = node.parent  # type: ignore[assignment]
    return Options()


def context(ctx: typer.Context) -> Context:
    from ..core import Context

    opts = options(ctx)
    return Context.create(opts.config, opts.project, opts.memory, opts.local)
