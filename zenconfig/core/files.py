"""Use cases about the file itself: init, validate, edit."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import configfile, paths
from ..errors import (
    ConfigError,
    UsageError,
    ZenConfigError,
)
from .common import Context

if TYPE_CHECKING:
    from ..models import Config

# -- init / validate / schema ------------------------------------------------


KEEP_CONVERSATIONS = (
    "conversations are kept in memory and end with each run; to keep them: "
    "zen config use --local (a file on this machine) or zen config add-project NAME (Redis)"
)


def init(ctx: Context, fmt: str | None = None, force: bool = False) -> tuple[Path, Path, str]:
    """Create the config file and the schema beside it; return both paths and
    a one-line note on keeping conversations."""

    path = ctx.config_path
    if fmt is not None and paths.is_toml(path) != (fmt == "toml"):
        if ctx.path_source != "default":
            raise UsageError(f"--format {fmt} does not match the file name {path}")
        path = path.with_suffix(".toml" if fmt == "toml" else ".json")
    if ctx.path_source == "default":
        other = path.with_suffix(".json" if paths.is_toml(path) else ".toml")
        if other.exists():  # the JSON file wins when both exist: one would hide the other
            raise ZenConfigError(
                f"{other.name} is already the config file here",
                where=str(other),
                hint=f"keep it; to start over in the other format, remove {other} first",
            )
    if path.exists() and not force:
        raise ZenConfigError(
            "a config file already exists",
            where=str(path),
            hint="keep it, or replace it with --force (the old one is kept as .bak)",
        )
    with configfile.locked(path):
        configfile.write(path, configfile.with_schema(path, configfile.empty_document()))
    return path, path.parent / paths.SCHEMA_FILE_NAME, KEEP_CONVERSATIONS


def validate_file(ctx: Context, file: Path | None = None) -> Config:
    """The file's model (the fast check and the models); for a file other than the
    config, the hints say how to edit or find that file, not the config."""
    import shlex

    from ..errors import ConfigError

    path = file or ctx.config_path
    other = file is not None and path != ctx.config_path
    if not path.exists():
        hint = "check the path" if other else "create one: zen config init"
        raise ZenConfigError("no such file", where=str(path), hint=hint)
    try:
        return configfile.load(path).config  # the model too, not only the fast check
    except ConfigError as e:
        if other and e.hint:
            edit = f"zen --config {shlex.quote(str(path))} config edit"
            e.hint = e.hint.replace("zen config edit", edit)
        raise


def edit(ctx: Context, editor: list[str]) -> bool:
    """Open a copy in ``editor``; save it only if it validates. True if changed."""
    import subprocess
    import tempfile

    path = ctx.config_path
    found = configfile.read(path)  # as it is: an invalid file is what one edits
    if found is None:
        ctx.load()  # a named file that does not exist is an error; the default: start empty
        raw = b""
        original = configfile.serialize(configfile.empty_document(), path)
    else:
        raw, _ = found
        original = raw
    fd, tmp = tempfile.mkstemp(prefix="zen-config-", suffix=path.suffix or ".json")
    with os.fdopen(fd, "wb") as handle:
        handle.write(original)
    try:
        done = subprocess.run([*editor, tmp], check=False)
    except OSError as e:
        os.unlink(tmp)
        raise ZenConfigError(f"cannot start the editor {editor[0]}: {e.strerror}") from e
    if done.returncode != 0:
        os.unlink(tmp)
        raise ZenConfigError(f"the editor exited with status {done.returncode}; nothing saved")
    edited = Path(tmp).read_bytes()
    if edited == original:
        os.unlink(tmp)
        return False
    try:  # errors name the edited copy (with line:column), not the untouched file
        document, _ = configfile.parse(edited, Path(tmp))
        configfile.validate(document, Path(tmp))
    except ConfigError as e:
        e.message = f"not saved: {e.message}"
        e.where = e.where or tmp
        e.hint = (
            f"your edit is kept in {tmp}; fix it and copy it back, or run 'zen config edit' again"
            f" ({path} was not changed)"
        )
        raise
    with configfile.locked(path):
        now = path.read_bytes() if path.exists() else b""
        if now != raw:
            raise ZenConfigError(
                "the file changed while you were editing; not saved",
                where=str(path),
                hint=f"your edit is kept in {tmp}",
            )
        configfile.atomic_write(path, edited)
    os.unlink(tmp)
    return True


def migrate(
    ctx: Context, *, dry_run: bool = False, env_file: Path | None = None, name: str = "zen"
) -> Any:
    """Upgrade the legacy layout or zen's .env (see ``zenconfig.migrate``)."""
    from ..errors import SecretUnavailableError
    from ..migrate import migrate as run

    try:
        return run(ctx.config_path, dry_run=dry_run, env_file=env_file, name=name)
    except SecretUnavailableError as e:
        e.hint = (
            "migrate moves each password into the keyring: unlock a Secret Service or choose "
            "a backend with PYTHON_KEYRING_BACKEND; or delete the plain-text passwords from "
            "the file, run migrate, then give each project one with: "
            "zen config set-password NAME --password-env VAR"
        )
        raise
