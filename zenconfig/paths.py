"""Environment variables and file locations, each named once.

Config file, first match wins:
  1. ``--config PATH`` (the root option)
  2. ``$ZEN_CONFIG``
  3. ``~/.zen-cli/config.json`` (or ``~/.zen-cli/config.toml`` when only that exists)
A path ending in ``.toml`` is TOML; anything else is JSON.

Store selection: ``zenconfig/runtime/resolver.py`` states the precedence once
(flags, then the environment, then ``.zen-project``, then the file, then memory).
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_CONFIG = "ZEN_CONFIG"
ENV_PROJECT = "ZEN_PROJECT"
ENV_STORAGE_TYPE = "ZEN_STORAGE_TYPE"
ENV_KEYRING_TIMEOUT = "ZEN_KEYRING_TIMEOUT"
ENV_LOCK_TIMEOUT = "ZEN_LOCK_TIMEOUT"
ENV_EDITOR = ("VISUAL", "EDITOR")

CONFIG_DIR_NAME = ".zen-cli"
CONFIG_FILE_NAME = "config.json"
SCHEMA_FILE_NAME = "zen-config.schema.json"
PROJECT_FILE_NAME = ".zen-project"

DEFAULT_KEYRING_TIMEOUT = 5.0
DEFAULT_LOCK_TIMEOUT = 10.0


def default_config_path() -> Path:
    json_path = Path.home() / CONFIG_DIR_NAME / CONFIG_FILE_NAME
    toml_path = json_path.with_suffix(".toml")
    if not json_path.exists() and toml_path.exists():
        return toml_path
    return json_path


def config_path(explicit: str | os.PathLike[str] | None = None) -> tuple[Path, str]:
    """The config file to use and where that choice came from."""
    if explicit:
        return Path(explicit).expanduser(), "--config"
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env).expanduser(), ENV_CONFIG
    return default_config_path(), "default"


def is_toml(path: Path) -> bool:
    return path.suffix.lower() == ".toml"


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def float_from_env(name: str, default: float) -> float:
    """A positive, finite number of seconds from ``name``; the default otherwise."""
    import math

    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if math.isfinite(value) and 0 < value <= 86400 else default
