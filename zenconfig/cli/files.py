"""``zen config`` commands about the file itself: init, validate, schema, path, edit."""

# No `from __future__ import annotations` here: Typer would then resolve every
# string annotation with get_type_hints when building the app (measured: 37 ms
# of each `zen config` run, against 5 ms with real annotations).

import os
import shlex
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from .boundary import boundary, note, out
from .state import context


@boundary
def init(
    ctx: typer.Context,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="json|toml",
            help="json or toml (default: the file name's, else json).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing file (keeps .bak).")
    ] = False,
) -> None:
    """Create the config file and its JSON Schema beside it."""
    from ..core import files as core

    if fmt not in (None, "json", "toml"):
        raise UsageError(f"--format must be json or toml, not '{fmt}'")
    path, schema_path, keep = core.init(context(ctx), fmt, force=force)
    note(f"created {path}")
    note(f"schema  {schema_path} (editors validate the file against it)")
    note(keep)
    out(str(path))


@boundary
def validate(
    ctx: typer.Context,
    file: Annotated[
        Path | None, typer.Argument(metavar="FILE", help="File to check (default: the config).")
    ] = None,
) -> None:
    """Check a config file against the schema; errors name line/column or key."""
    from ..core import files as core

    c = context(ctx)
    core.validate_file(c, file)
    note(f"{file or c.config_path}: valid")


@boundary
def schema() -> None:
    """Print the JSON Schema of the config file."""
    from .. import schema as generated

    typer.echo(generated.shipped(), nl=False)


@boundary
def path(ctx: typer.Context) -> None:
    """Print the path of the config file in use."""
    out(str(context(ctx).config_path))


@boundary
def edit(ctx: typer.Context) -> None:
    """Open the config file in $VISUAL/$EDITOR; save only if it validates."""
    from .. import paths
    from ..core import files as core

    command = next((os.environ[v] for v in paths.ENV_EDITOR if os.environ.get(v)), "vi")
    try:
        editor = shlex.split(command)
    except ValueError as e:
        raise UsageError(f"$EDITOR cannot be split into words: {e}") from None
    changed = core.edit(context(ctx), editor)
    note("saved" if changed else "no changes")


@boundary
def migrate(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the diff; change nothing.")
    ] = False,
    env_file: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH", help="zen's .env to read (default ~/.zen-cli/.env, then ~/.zen/.env)."
        ),
    ] = None,
    name: Annotated[
        str, typer.Option(metavar="NAME", help="Project name for the .env settings.")
    ] = "zen",
) -> None:
    """Upgrade the legacy layout or zen's REDIS_* .env to the current version."""
    from ..core import files as core

    c = context(ctx)
    path = c.config_path
    result = core.migrate(c, dry_run=dry_run, env_file=env_file, name=name)
    if result.kind == "none":
        what = (
            f"{path} is at the current version"
            if path.exists()
            else ("no config file, and no zen .env with REDIS_* settings")
        )
        note(f"nothing to migrate: {what}")
        return
    rewritten = (
        "the original is kept as parsed, not as written (comments and layout are lost): "
        "a password's exact text could not be located and verified"
    )
    if result.rewritten:
        note(rewritten)
    if dry_run:
        typer.echo(result.diff, nl=False)
        note(f"dry run: nothing changed; {len(result.moved)} password(s) would move to the keyring")
        return
    note(f"migrated {result.source} to version 1: {path}")
    for entry in result.moved:
        note(f"password moved to the keyring: {entry}")
    note(f"original kept as {result.backup} (passwords replaced by notes)")
