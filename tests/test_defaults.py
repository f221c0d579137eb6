"""zenconfig.defaults: every default agrees with the shipped JSON Schema and the models,
passes its own field's checks, and derived key prefixes never overlap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from zenconfig import configfile, defaults, models, paths, rules, spec

SCHEMA = Path(models.__file__).with_name("zen-config.schema.json")

# (definition, property) in the shipped schema -> the default named in defaults.py
SCHEMA_DEFAULTS: dict[tuple[str, str], Any] = {
    ("Storage", "type"): defaults.STORAGE_TYPE,
    ("Storage", "fallback"): defaults.FALLBACK,
    ("Connection", "host"): defaults.HOST,
    ("Connection", "port"): defaults.PORT,
    ("Connection", "db"): defaults.DB,
    ("Connection", "mode"): defaults.MODE,
    ("Connection", "conversation_ttl_seconds"): defaults.CONVERSATION_TTL_SECONDS,
    ("Connection", "max_turns"): defaults.MAX_TURNS,
    ("Timeouts", "connect_seconds"): defaults.CONNECT_TIMEOUT_SECONDS,
    ("Timeouts", "socket_seconds"): defaults.SOCKET_TIMEOUT_SECONDS,
    ("Pool", "max_connections"): defaults.MAX_CONNECTIONS,
    ("Pool", "health_check_interval_seconds"): defaults.HEALTH_CHECK_INTERVAL_SECONDS,
    ("TLS", "verify"): defaults.TLS_VERIFY,
    ("TLS", "check_hostname"): defaults.TLS_CHECK_HOSTNAME,
    ("KeyringPassword", "service"): defaults.KEYRING_SERVICE,
    ("LocalStorage", "path"): defaults.LOCAL_PATH,
    ("LocalStorage", "conversation_ttl_seconds"): defaults.CONVERSATION_TTL_SECONDS,
    ("LocalStorage", "max_turns"): defaults.MAX_TURNS,
}


@pytest.mark.parametrize(("where", "value"), SCHEMA_DEFAULTS.items(), ids=lambda x: str(x))
def test_the_shipped_schema_states_each_default(where: tuple[str, str], value: Any) -> None:
    definition, prop = where
    stated = json.loads(SCHEMA.read_text())["definitions"][definition]["properties"][prop]
    assert stated["default"] == value
    assert type(stated["default"]) is type(value)  # 5.0 stays a float, 30 an int


def test_the_version_is_the_one_the_models_accept() -> None:
    version = json.loads(SCHEMA.read_text())["properties"]["version"]
    assert version["const"] == defaults.CURRENT_VERSION
    assert models.Config.model_validate({"version": defaults.CURRENT_VERSION}).version == 1
    assert rules.CURRENT_VERSION == models.CURRENT_VERSION == defaults.CURRENT_VERSION


def test_each_default_passes_its_own_fields_checks() -> None:
    """Pydantic never validates a default; given explicitly, each must be accepted."""
    connection = {
        "host": defaults.HOST,
        "port": defaults.PORT,
        "db": defaults.DB,
        "mode": defaults.MODE,
        "key_prefix": defaults.key_prefix("p"),
        "conversation_ttl_seconds": defaults.CONVERSATION_TTL_SECONDS,
        "max_turns": defaults.MAX_TURNS,
        "password": {"source": "keyring", "service": defaults.KEYRING_SERVICE, "username": "p"},
        "tls": {"verify": defaults.TLS_VERIFY, "check_hostname": defaults.TLS_CHECK_HOSTNAME},
        "timeouts": {
            "connect_seconds": defaults.CONNECT_TIMEOUT_SECONDS,
            "socket_seconds": defaults.SOCKET_TIMEOUT_SECONDS,
        },
        "pool": {
            "max_connections": defaults.MAX_CONNECTIONS,
            "health_check_interval_seconds": defaults.HEALTH_CHECK_INTERVAL_SECONDS,
        },
    }
    document = {
        "version": defaults.CURRENT_VERSION,
        "storage": {
            "type": defaults.STORAGE_TYPE,
            "fallback": defaults.FALLBACK,
            "redis": {"connections": {"p": connection}},
            "local": {
                "path": defaults.LOCAL_PATH,
                "conversation_ttl_seconds": defaults.CONVERSATION_TTL_SECONDS,
                "max_turns": defaults.MAX_TURNS,
            },
        },
    }
    checked = configfile.validate(document, Path("config.json"))
    bare = models.Config.model_validate({"version": defaults.CURRENT_VERSION})
    assert checked.storage.local == bare.storage.local
    assert checked.storage.model_dump(exclude={"redis"}) == bare.storage.model_dump(
        exclude={"redis"}
    )
    assert checked.connections["p"].model_dump(
        exclude={"key_prefix", "password"}
    ) == models.Connection().model_dump(exclude={"key_prefix", "password"})


def test_a_new_document_is_the_models_default() -> None:
    empty = configfile.empty_document()
    model = models.Config.model_validate(empty)
    assert model.storage.type == defaults.STORAGE_TYPE == spec.storage(empty).type
    assert model.storage.fallback == defaults.FALLBACK == spec.storage(empty).fallback
    assert models.Config.model_validate({"version": 1}).model_dump() == model.model_dump()


def test_the_local_database_lives_in_the_config_directory(home: Path) -> None:
    in_config_dir = f"~/{paths.CONFIG_DIR_NAME}/{defaults.LOCAL_DB_NAME}"
    assert in_config_dir == defaults.LOCAL_PATH
    database = spec.local({}).resolved(paths.default_config_path())
    assert database == home / paths.CONFIG_DIR_NAME / defaults.LOCAL_DB_NAME
    assert database.parent == paths.default_config_path().parent


def test_derived_key_prefixes_never_overlap() -> None:
    """Names that start one another still get prefixes that do not (the ':' ends each),
    so projects added without a prefix never collide on one server."""
    names = ["a", "ab", "a.b", "a-", "a_", "a.", "A", "zen", "0", "a" * 64]
    conns = {name: {"host": defaults.HOST, "port": defaults.PORT} for name in names}
    assert rules.prefix_overlaps(conns) == []
    prefixes = [defaults.key_prefix(name) for name in names]
    assert len(set(prefixes)) == len(names)
    assert all(p.startswith("zen:") and p.endswith(":") for p in prefixes)
    assert spec.connection("ab", {}).key_prefix == defaults.key_prefix("ab")
