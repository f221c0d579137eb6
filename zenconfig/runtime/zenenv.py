"""zen's own settings (``REDIS_HOST`` …) when there is no config file.

zen-cli keeps its Redis settings in ``REDIS_HOST``, ``REDIS_PORT``,
``REDIS_DB``, ``REDIS_PASSWORD`` and ``REDIS_KEY_PREFIX`` (usually loaded from
``~/.zen/.env``). With no config file, those variables describe one project,
``zen``, used when ``ZEN_STORAGE_TYPE=redis`` asks for Redis, as zen does; the
password is read from ``REDIS_PASSWORD`` when connecting and never written
anywhere. ``zen config migrate`` turns them into a real config file.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import configfile, defaults
from ..errors import ConfigError
from ..text import digits, lone_surrogate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PROJECT = "zen"
VARIABLES = ("REDIS_HOST", "REDIS_PORT", "REDIS_DB", "REDIS_PASSWORD", "REDIS_KEY_PREFIX")
HINT = "keep these settings in a config file with: zen config migrate"


class FromEnvironment(configfile.Loaded):
    """No config file: the document the ``REDIS_*`` variables describe."""


def present(environ: Mapping[str, str]) -> bool:
    return any(environ.get(name) for name in VARIABLES)


def _text(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "")
    at = lone_surrogate(value)
    if at is not None:
        raise ConfigError(
            f"{name} is not UTF-8 text (at character {at + 1}: {value[at]!a})",
            where=name,
            hint=HINT,
        )
    return value


def _number(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = _text(environ, name).strip()
    if not raw:
        return default
    if not digits(raw):
        raise ConfigError(f"{name} must be a number, not {raw[:40]!r}", where=name, hint=HINT)
    return int(raw)


def document(environ: Mapping[str, str]) -> dict[str, Any]:
    """A config document with the one project the variables describe."""
    entry: dict[str, Any] = {
        "host": _text(environ, "REDIS_HOST").strip() or defaults.ZEN_REDIS_HOST,
        "port": _number(environ, "REDIS_PORT", defaults.PORT),
        "db": _number(environ, "REDIS_DB", defaults.DB),
        "key_prefix": _text(environ, "REDIS_KEY_PREFIX") or defaults.ZEN_KEY_PREFIX,
    }
    if environ.get("REDIS_PASSWORD"):
        entry["password"] = {"source": "env", "env": "REDIS_PASSWORD"}
    return {
        "version": defaults.CURRENT_VERSION,
        "storage": {
            "type": defaults.STORAGE_TYPE,
            "fallback": defaults.FALLBACK,
            "redis": {"default": PROJECT, "connections": {PROJECT: entry}},
        },
    }
