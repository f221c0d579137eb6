"""Pydantic models of the config file, version 1 (the authority the schema is generated from).

The field descriptions feed ``schemas/zen-config.schema.json``. Checks that
span several fields (the default names a project, prefixes on one server do
not overlap, Sentinel/Cluster settings are complete) live in
``Config._check`` and report dotted paths through ``SemanticError``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from . import defaults, rules

CURRENT_VERSION = rules.CURRENT_VERSION
NAME_PATTERN = rules.NAME_PATTERN

# a host or user name: no whitespace or control characters (they never reach a terminal raw,
# nor a server's command line); a key prefix: no control characters; a client name: what
# CLIENT SETNAME takes (printable ASCII, no space)
NO_SPACE = r"^[^\s\x00-\x1f\x7f]+$(?!\n)"
NO_CONTROL = r"^[^\x00-\x1f\x7f]+$(?!\n)"
CLIENT_NAME = r"^[!-~]+$(?!\n)"
MAX_TTL_SECONDS = 10 * 365 * 86400

ProjectName = Annotated[
    str, StringConstraints(pattern=NAME_PATTERN, min_length=1, max_length=rules.NAME_MAX)
]


class SemanticError(ValueError):
    """Several (dotted path, message) problems found after type validation."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))
        self.problems = problems


# Strict: what the committed schema rejects, the models reject ("6379", true for
# 1, "yes" for true); NaN and infinities are not numbers; patterns are read by
# Python's `re`, as the schema's other readers (jsonschema, the fast walker) do.
STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, regex_engine="python-re")


def _not_bool(value: object) -> object:
    """``true`` is not the number 1 (Python says True == 1; the schema does not)."""
    if isinstance(value, bool):
        raise ValueError("must be 1 (a number, not true/false)")
    return value


class _Strict(BaseModel):
    model_config = STRICT


class KeyringPassword(_Strict):
    """The password is kept in the OS keyring."""

    source: Literal["keyring"] = Field(description="Read the password from the OS keyring.")
    service: str = Field(
        defaults.KEYRING_SERVICE,
        min_length=1,
        description="Keyring service name (zen-cli unless set).",
    )
    username: str = Field(min_length=1, description="Keyring entry name, usually the project name.")


class EnvPassword(_Strict):
    """The password is read from an environment variable."""

    source: Literal["env"] = Field(description="Read the password from an environment variable.")
    env: str = Field(
        pattern=rules.ENV_NAME_PATTERN, description="Name of the environment variable."
    )


class CommandPassword(_Strict):
    """The password is printed by a program (run without a shell)."""

    source: Literal["command"] = Field(description="Run a program and use its standard output.")
    command: list[Annotated[str, StringConstraints(min_length=1)]] = Field(
        min_length=1,
        description="Program and arguments, run without a shell; only when the config "
        "file and its directory are private to you.",
    )


PasswordRef = Annotated[
    KeyringPassword | EnvPassword | CommandPassword, Field(discriminator="source")
]


class TLS(_Strict):
    """TLS settings; verification is on unless switched off explicitly."""

    enabled: bool = Field(False, description="Connect with TLS (rediss://).")
    ca_file: str | None = Field(None, description="CA bundle that signed the server certificate.")
    cert_file: str | None = Field(None, description="Client certificate for mutual TLS.")
    key_file: str | None = Field(None, description="Private key of the client certificate.")
    verify: bool = Field(
        defaults.TLS_VERIFY, description="Verify the server certificate (keep on)."
    )
    check_hostname: bool = Field(
        defaults.TLS_CHECK_HOSTNAME,
        description="Check the certificate matches the host name (keep on).",
    )


class Timeouts(_Strict):
    """Network timeouts."""

    connect_seconds: float = Field(
        defaults.CONNECT_TIMEOUT_SECONDS,
        ge=0.01,
        le=60,
        description="TCP/TLS connect timeout; also the fallback decision time.",
    )
    socket_seconds: float = Field(
        defaults.SOCKET_TIMEOUT_SECONDS, ge=0.01, le=600, description="Timeout of each command."
    )


class Pool(_Strict):
    """Connection pool of one project in one process."""

    max_connections: int = Field(
        defaults.MAX_CONNECTIONS, ge=1, le=10000, description="Most connections in the pool."
    )
    health_check_interval_seconds: int = Field(
        defaults.HEALTH_CHECK_INTERVAL_SECONDS,
        ge=0,
        le=86400,
        description="PING a connection idle this long before use (0: never).",
    )


class HostPort(_Strict):
    """A Sentinel or Cluster node address."""

    host: str = Field(min_length=1, pattern=NO_SPACE, description="Host name or address.")
    port: int = Field(ge=1, le=65535, description="TCP port, 1-65535.")


class Connection(_Strict):
    """One named project: a Redis connection and how conversations are kept in it."""

    host: str = Field(
        defaults.HOST, min_length=1, pattern=NO_SPACE, description="Redis host name or address."
    )
    port: int = Field(defaults.PORT, ge=1, le=65535, description="Redis TCP port, 1-65535.")
    db: int = Field(
        defaults.DB,
        ge=0,
        le=15,
        description="Database index, 0-15 (a server may be configured with more databases; "
        "zenconfig accepts the default range).",
    )
    username: str | None = Field(
        None,
        min_length=1,
        pattern=NO_SPACE,
        description="ACL user name (Redis 6+); null for 'default'.",
    )
    password: PasswordRef | None = Field(
        None,
        description="Where the password comes from (keyring, env or command); never the "
        "password itself. Absent: no AUTH.",
    )
    key_prefix: str | None = Field(
        None,
        min_length=1,
        pattern=NO_CONTROL,
        description="Prefix of every key of this project; default 'zen:<name>:'. Two projects "
        "on one server must not share a prefix or have one prefix start another.",
    )
    conversation_ttl_seconds: int = Field(
        defaults.CONVERSATION_TTL_SECONDS,
        ge=1,
        le=MAX_TTL_SECONDS,
        description="Conversation expiry in seconds (default 3 hours).",
    )
    max_turns: int = Field(
        defaults.MAX_TURNS,
        ge=1,
        le=100000,
        description="Most turns kept in one conversation thread.",
    )
    client_name: str | None = Field(
        None,
        pattern=CLIENT_NAME,
        max_length=256,
        description="CLIENT SETNAME for this connection (printable ASCII, no spaces).",
    )
    tls: TLS = Field(default_factory=TLS, description="TLS settings.")
    timeouts: Timeouts = Field(
        default_factory=Timeouts, description="Connect and command timeouts."
    )
    pool: Pool = Field(default_factory=Pool, description="Connection pool settings.")
    mode: Literal["standalone", "sentinel", "cluster"] = Field(
        defaults.MODE, description="standalone server, Redis Sentinel, or Redis Cluster."
    )
    sentinels: list[HostPort] = Field(
        default_factory=list, description="Sentinel addresses (mode 'sentinel')."
    )
    service_name: str | None = Field(
        None, description="Name of the master the Sentinels watch (mode 'sentinel')."
    )
    nodes: list[HostPort] = Field(
        default_factory=list, description="Cluster seed nodes (mode 'cluster')."
    )


class RedisStorage(_Strict):
    """The named Redis connections."""

    default: ProjectName | None = Field(
        None, description="Project used when nothing else chooses one; must be a connection name."
    )
    connections: dict[ProjectName, Connection] = Field(
        default_factory=dict,
        description="Projects by name (letters, digits, '_', '.', '-').",
    )


class LocalStorage(_Strict):
    """The local store: one SQLite database file on this machine, no server."""

    path: str = Field(
        defaults.LOCAL_PATH,
        min_length=1,
        description="Database file; '~' is your home directory, and a relative path is "
        "relative to this config file's directory. Its directory must be writable by you "
        "alone (created 0700; the file 0600).",
    )
    conversation_ttl_seconds: int = Field(
        defaults.CONVERSATION_TTL_SECONDS,
        ge=1,
        le=MAX_TTL_SECONDS,
        description="Conversation expiry in seconds (default 3 hours); each new turn restarts it.",
    )
    max_turns: int = Field(
        defaults.MAX_TURNS,
        ge=1,
        le=100000,
        description="Most turns kept in one conversation thread.",
    )


class Storage(_Strict):
    """Where conversations are kept."""

    type: Literal["memory", "redis", "local"] = Field(
        defaults.STORAGE_TYPE,
        description="memory (the default, per process), redis (the default project) or "
        "local (a database file on this machine, see 'local').",
    )
    fallback: Literal["memory", "error"] = Field(
        defaults.FALLBACK,
        description="When Redis is unreachable: serve from memory with a warning, or fail.",
    )
    redis: RedisStorage = Field(default_factory=RedisStorage, description="Redis projects.")
    local: LocalStorage = Field(
        default_factory=LocalStorage, description="The local store (storage.type 'local')."
    )


class Config(_Strict):
    """zen storage configuration."""

    model_config = ConfigDict(
        **STRICT,
        title="zen storage configuration",
        json_schema_extra={"$comment": "Generated from zenconfig.models; do not edit."},
    )

    schema_: str | None = Field(
        None, alias="$schema", description="Path or URL of this file's JSON Schema (for editors)."
    )
    version: Annotated[Literal[1], BeforeValidator(_not_bool)] = Field(
        description="Layout version of this file; 1."
    )
    storage: Storage = Field(default_factory=Storage, description="Storage settings.")

    @model_validator(mode="after")
    def _check(self) -> Config:
        problems = rules.problems(self.model_dump(by_alias=True))
        if problems:
            raise SemanticError(problems)
        return self

    @property
    def connections(self) -> dict[str, Connection]:
        return self.storage.redis.connections

    def names(self) -> list[str]:
        return sorted(self.storage.redis.connections)
