"""Reading the config file for the runtime and the commands: one place decides
what a missing file means."""

from __future__ import annotations

import os
from pathlib import Path

from .. import configfile, paths
from ..errors import ZenConfigError
from . import zenenv

PathLike = str | os.PathLike[str]


def read_config(path: Path, source: str) -> configfile.Loaded:
    """Read and check the config file at ``path`` (``source``: how it was named).

    The default file missing means "no config yet": an empty memory config,
    or, when zen's own ``REDIS_*`` variables are set, the one project they
    describe (see ``runtime.zenenv``). A file named explicitly (``--config``,
    ``ZEN_CONFIG``) that does not exist is an error: a typo must not read as
    "no projects". An invalid file raises what ``zen config validate`` says.
    """
    loaded = configfile.load(path)
    if loaded.exists:
        return loaded
    if source != "default":
        raise missing(path, source)
    if zenenv.present(os.environ):
        document = zenenv.document(os.environ)
        configfile.check(document, path)
        return zenenv.FromEnvironment(path, document, exists=False)
    return loaded


def missing(path: Path, source: str) -> ZenConfigError:
    """A file named by ``--config`` or ``ZEN_CONFIG`` that does not exist: an error for
    every command but ``init`` (a typo must neither read as "no projects" nor create
    a file, and its directories, somewhere unintended)."""
    return ZenConfigError(
        f"no such config file (named by {source})",
        where=str(path),
        hint="check the path, or create the file with: zen config init",
    )


def load_config(path: PathLike | None = None) -> configfile.Loaded:
    """The config file: ``path``, else ``ZEN_CONFIG``, else the default (see
    ``read_config``). ``.config`` is its pydantic model, built when asked."""
    return read_config(*paths.config_path(path))
