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


META_KEY = "zenconfig.options"


def remember(ctx: typer.Context, opts: Options) -> None:
    """Keep the root options where every sub-command finds them (``ctx.meta`` is
    shared by the whole context tree and, unlike ``ctx.obj``, free for a host's use)."""
    ctx.meta[META_KEY] = opts


def options(ctx: typer.Context) -> Options:
    """The root options, or defaults when a host CLI mounted the apps without them."""
    found = ctx.meta.get(META_KEY)
    return found if isinstance(found, Options) else Options()


def context(ctx: typer.Context) -> Context:
    from ..core import Context

    opts = options(ctx)
    return Context.create(opts.config, opts.project, opts.memory, opts.local)
