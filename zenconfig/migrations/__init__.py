"""Upgrades to the current layout, as small named steps over plain data.

Each step returns the new document and the plain-text passwords it took out
of it (project -> password); the caller stores those in the keyring. Steps:

- ``legacy-inline-passwords``: the original proposal's layout (no ``version``,
  ``password`` as plain text) -> version 1 with keyring references.
- ``env-file-project``: zen's environment file (``ZEN_STORAGE_TYPE``,
  ``REDIS_HOST``, ``REDIS_PORT``, ``REDIS_DB``, ``REDIS_PASSWORD``,
  ``REDIS_KEY_PREFIX``) -> version 1 with one project.

``scrub`` (JSON, TOML) and ``envfile`` (.env) produce the backup text: the
original, byte for byte, except that each plain-text password, located by
parsing (``spans``), is replaced by a note saying where it went.
"""

from __future__ import annotations

import copy
from typing import Any

from .. import defaults
from ..defaults import CURRENT_VERSION, KEYRING_SERVICE
from ..text import digits

Secrets = dict[str, str]
ENV_KEYS = (
    "ZEN_STORAGE_TYPE",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_DB",
    "REDIS_PASSWORD",
    "REDIS_KEY_PREFIX",
)


def username(project: str, scope: str) -> str:
    """The keyring user of a moved password: scoped to the new config file."""
    return f"{project}@{scope}"


def keyring_ref(project: str, scope: str) -> dict[str, str]:
    return {"source": "keyring", "service": KEYRING_SERVICE, "username": username(project, scope)}


def note(project: str, scope: str) -> str:
    return (
        f"moved to the keyring ({KEYRING_SERVICE}/{username(project, scope)}) by zen config migrate"
    )


def is_legacy(document: dict[str, Any]) -> bool:
    return "version" not in document


def legacy_inline_passwords(document: dict[str, Any], scope: str) -> tuple[dict[str, Any], Secrets]:
    """Step (a): stamp version 1; every plain-text password becomes a keyring reference."""
    new: dict[str, Any] = {"version": CURRENT_VERSION}
    new.update({k: v for k, v in copy.deepcopy(document).items() if k != "version"})
    if "$schema" in new:
        new = {"$schema": new.pop("$schema"), **new}
    taken: Secrets = {}
    conns = new.get("storage", {}).get("redis", {}).get("connections", {})
    for name, conn in conns.items():
        if not isinstance(conn, dict):
            continue
        password = conn.get("password")
        if isinstance(password, str) and password:
            taken[name] = password
            conn["password"] = keyring_ref(name, scope)
        elif password is None or password == "":
            conn.pop("password", None)
    return new, taken


def env_file_project(
    values: dict[str, str | None], name: str, scope: str
) -> tuple[dict[str, Any], Secrets]:
    """Step (b): zen's REDIS_* settings as one project called ``name``: the project the
    same variables describe with no config file (``runtime.zenenv``), so what zen stored
    before the migration is found after it (its key prefix above all)."""
    conn: dict[str, Any] = {
        "host": (values.get("REDIS_HOST") or "").strip() or defaults.ZEN_REDIS_HOST,
        "key_prefix": values.get("REDIS_KEY_PREFIX") or defaults.ZEN_KEY_PREFIX,
    }
    for key, field in (("REDIS_PORT", "port"), ("REDIS_DB", "db")):
        raw = (values.get(key) or "").strip()
        if raw:
            if not digits(raw):
                from ..errors import ConfigError

                raise ConfigError(
                    f"{key} must be a whole number, not {raw[:40]!r}; nothing was changed",
                    where=key,
                    hint=f"fix {key} in the .env file, then run zen config migrate again",
                )
            conn[field] = int(raw)
    taken: Secrets = {}
    if values.get("REDIS_PASSWORD"):
        taken[name] = str(values["REDIS_PASSWORD"])
        conn["password"] = keyring_ref(name, scope)
    kind = (values.get("ZEN_STORAGE_TYPE") or "memory").strip().lower()
    # zen-cli's "file" store is the local store here; anything else it reads as memory
    storage_type = {"redis": "redis", "file": "local", "local": "local"}.get(kind, "memory")
    redis: dict[str, Any] = {"connections": {name: conn}}
    if storage_type == "redis":
        redis["default"] = name
    document = {
        "version": CURRENT_VERSION,
        "storage": {
            "type": storage_type,
            "fallback": "memory",
            "redis": redis,
        },
    }
    return document, taken


def has_env_settings(values: dict[str, str | None]) -> bool:
    return any(values.get(k) for k in ENV_KEYS if k.startswith("REDIS_"))
