"""Pydantic models of the config file, version 1 (DESIGN.md section 1).

The field descriptions feed ``schemas/zen-config.schema.json``. Checks that
span several fields (the default names a project, prefixes on one server do
not overlap, Sentinel/Cluster settings are complete) live in
``Config._check`` and report dotted paths through ``SemanticError``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

CURRENT_VERSION = 1
NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
DEFAULT_TTL_SECONDS = 10800
DEFAULT_MAX_TURNS = 50
LOOPBACK_NAMES = {"localhost": "127.0.0.1", "::1": "127.0.0.1", "[::1]": "127.0.0.1"}

ProjectName = Annotated[str, StringConstraints(pattern=NAME_PATTERN, min_length=1, max_length=64)]


class SemanticError(ValueError):
    """Several (dotted path, message) problems found after type validation."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyringPassword(_Strict):
    """The password is kept in the OS keyring."""

    source: Literal["keyring"] = Field(description="Read the password from the OS keyring.")
    service: str = Field(
        "zen-cli", min_length=1, description="Keyring service name (zen-cli unless set)."
    )
    username: str = Field(min_length=1, description="Keyring entry name, usually the project name.")


class EnvPassword(_Strict):
    """The password is read from an environment variable."""

    source: Literal["env"] = Field(description="Read the password from an environment variable.")
    env: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Name of the environment variable."
    )


class CommandPassword(_Strict):
    """The password is printed by a program (run without a shell)."""

    source: Literal["command"] = Field(description="Run a program and use its standard output.")
    command: list[str] = Field(
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
    verify: bool = Field(True, description="Verify the server certificate (keep on).")
    check_hostname: bool = Field(
        True, description="Check the certificate matches the host name (keep on)."
    )


class Timeouts(_Strict):
    """Network timeouts."""

    connect_seconds: float = Field(
        0.5, gt=0, le=60, description="TCP/TLS connect timeout; also the fallback decision time."
    )
    socket_seconds: float = Field(5.0, gt=0, le=600, description="Timeout of each command.")


class Pool(_Strict):
    """Connection pool of one project in one process."""

    max_connections: int = Field(10, ge=1, le=10000, description="Most connections in the pool.")
    health_check_interval_seconds: int = Field(
        30, ge=0, le=86400, description="PING a connection idle this long before use (0: never)."
    )


class HostPort(_Strict):
    """A Sentinel or Cluster node address."""

    host: str = Field(min_length=1, description="Host name or address.")
    port: int = Field(ge=1, le=65535, description="TCP port, 1-65535.")


class Connection(_Strict):
    """One named project: a Redis connection and how conversations are kept in it."""

    host: str = Field("127.0.0.1", min_length=1, description="Redis host name or address.")
    port: int = Field(6379, ge=1, le=65535, description="Redis TCP port, 1-65535.")
    db: int = Field(
        0,
        ge=0,
        le=15,
        description="Database index, 0-15 (a server may be configured with more databases; "
        "zenconfig accepts the default range).",
    )
    username: str | None = Field(None, description="ACL user name (Redis 6+); null for 'default'.")
    password: PasswordRef | None = Field(
        None,
        description="Where the password comes from (keyring, env or command); never the "
        "password itself. Absent: no AUTH.",
    )
    key_prefix: str | None = Field(
        None,
        min_length=1,
        description="Prefix of every key of this project; default 'zen:<name>:'. Two projects "
        "on one server must not share a prefix or have one prefix start another.",
    )
    conversation_ttl_seconds: int = Field(
        DEFAULT_TTL_SECONDS, ge=1, description="Conversation expiry in seconds (default 3 hours)."
    )
    max_turns: int = Field(
        DEFAULT_MAX_TURNS, ge=1, description="Most turns kept in one conversation thread."
    )
    client_name: str | None = Field(None, description="CLIENT SETNAME for this connection.")
    tls: TLS = Field(default_factory=TLS, description="TLS settings.")
    timeouts: Timeouts = Field(
        default_factory=Timeouts, description="Connect and command timeouts."
    )
    pool: Pool = Field(default_factory=Pool, description="Connection pool settings.")
    mode: Literal["standalone", "sentinel", "cluster"] = Field(
        "standalone", description="standalone server, Redis Sentinel, or Redis Cluster."
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

    def problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        if self.mode == "sentinel":
            if not self.sentinels:
                found.append(("sentinels", "required when mode is 'sentinel'"))
            if not self.service_name:
                found.append(("service_name", "required when mode is 'sentinel'"))
        if self.mode == "cluster":
            if not self.nodes:
                found.append(("nodes", "required when mode is 'cluster'"))
            if self.db != 0:
                found.append(("db", "must be 0 when mode is 'cluster'"))
        for name in ("cert_file", "key_file"):
            if getattr(self.tls, name) and not self.tls.enabled:
                found.append((f"tls.{name}", "set, but tls.enabled is false"))
        return found

    def servers(self) -> set[tuple[Any, ...]]:
        """Addresses that identify the data this connection sees."""

        def norm(host: str) -> str:
            host = host.lower()
            return LOOPBACK_NAMES.get(host, host)

        if self.mode == "cluster":
            return {("cluster", norm(n.host), n.port) for n in self.nodes}
        if self.mode == "sentinel":
            return {
                ("sentinel", self.service_name, norm(s.host), s.port, self.db)
                for s in self.sentinels
            }
        return {("standalone", norm(self.host), self.port, self.db)}

    def address(self) -> str:
        if self.mode == "cluster":
            return "cluster " + ",".join(f"{n.host}:{n.port}" for n in self.nodes)
        if self.mode == "sentinel":
            first = self.sentinels[0] if self.sentinels else None
            where = f"{first.host}:{first.port}" if first else "?"
            return f"sentinel {self.service_name}@{where}/{self.db}"
        return f"{self.host}:{self.port}/{self.db}"

    def prefix(self, name: str) -> str:
        return self.key_prefix or default_prefix(name)


def default_prefix(name: str) -> str:
    return f"zen:{name}:"


class RedisStorage(_Strict):
    """The named Redis connections."""

    default: ProjectName | None = Field(
        None, description="Project used when nothing else chooses one; must be a connection name."
    )
    connections: dict[ProjectName, Connection] = Field(
        default_factory=dict,
        description="Projects by name (letters, digits, '_', '.', '-').",
    )


class Storage(_Strict):
    """Where conversations are kept."""

    type: Literal["memory", "redis"] = Field(
        "memory", description="memory (the default, per process) or redis (the default project)."
    )
    fallback: Literal["memory", "error"] = Field(
        "memory",
        description="When Redis is unreachable: serve from memory with a warning, or fail.",
    )
    redis: RedisStorage = Field(default_factory=RedisStorage, description="Redis projects.")


class Config(_Strict):
    """zen storage configuration."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        title="zen storage configuration",
        json_schema_extra={"$comment": "Generated from zenconfig.models; do not edit."},
    )

    schema_: str | None = Field(
        None, alias="$schema", description="Path or URL of this file's JSON Schema (for editors)."
    )
    version: Literal[1] = Field(description="Layout version of this file; 1.")
    storage: Storage = Field(default_factory=Storage, description="Storage settings.")

    @model_validator(mode="after")
    def _check(self) -> Config:
        problems = semantic_problems(self)
        if problems:
            raise SemanticError(problems)
        return self

    @property
    def connections(self) -> dict[str, Connection]:
        return self.storage.redis.connections

    def names(self) -> list[str]:
        return sorted(self.storage.redis.connections)


def semantic_problems(config: Config) -> list[tuple[str, str]]:
    base = "storage.redis"
    redis = config.storage.redis
    found: list[tuple[str, str]] = []
    if redis.default is not None and redis.default not in redis.connections:
        known = ", ".join(sorted(redis.connections)) or "none defined"
        found.append((f"{base}.default", f"names no connection (known: {known})"))
    if config.storage.type == "redis" and redis.default is None:
        found.append((f"{base}.default", "required when storage.type is 'redis'"))
    for name, conn in redis.connections.items():
        found += [(f"{base}.connections.{name}.{p}", m) for p, m in conn.problems()]
    items = sorted(redis.connections.items())
    for i, (a_name, a) in enumerate(items):
        for b_name, b in items[i + 1 :]:
            if not a.servers() & b.servers():
                continue
            pa, pb = a.prefix(a_name), b.prefix(b_name)
            if pa.startswith(pb) or pb.startswith(pa):
                found.append(
                    (
                        f"{base}.connections.{b_name}.key_prefix",
                        f"'{pb}' overlaps '{pa}' of project '{a_name}' on the same server "
                        "(each project needs a prefix of its own)",
                    )
                )
    return found
