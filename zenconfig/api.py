"""Small library entry points for host CLIs."""

from __future__ import annotations

import os

from . import configfile, paths
from .configfile import Loaded


def load_config(path: str | os.PathLike[str] | None = None) -> Loaded:
    """Read and check the config file (``path``, else ``ZEN_CONFIG``, else the default).

    A missing file is an empty memory configuration; an invalid one raises the
    same ``ConfigError`` as ``zen config validate``. ``.config`` is the model.
    """
    return configfile.load(paths.config_path(path)[0])
