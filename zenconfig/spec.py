"""Plain, typed views of a checked config document (no pydantic).

The runtime, the stores, test-connection and copy work on these: a
``ConnectionSpec`` is one project with every default applied (defaults come
from ``zenconfig.defaults``). Building one costs microseconds, so the paths
that run on every zen turn never import pydantic. The document must already
have passed ``configfile`` checks; nothing here validates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import defaults

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class TLSSpec:
    enabled: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    verify: bool = defaults.TLS_VERIFY
    check_hostname: bool = defaults.TLS_CHECK_HOSTNAME


@dataclass(frozen=True, slots=True)
class ConnectionSpec:
    """One project's Redis connection, every default applied."""

    name: str
    host: str = defaults.HOST
    port: int = defaults.PORT
    db: int = defaults.DB
    username: str | None = None
    password: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    key_prefix: str = ""
    conversation_ttl_seconds: int = defaults.CONVERSATION_TTL_SECONDS
    max_turns: int = defaults.MAX_TURNS
    client_name: str | None = None
    tls: TLSSpec = TLSSpec()
    connect_timeout: float = defaults.CONNECT_TIMEOUT_SECONDS
    socket_timeout: float = defaults.SOCKET_TIMEOUT_SECONDS
    max_connections: int = defaults.MAX_CONNECTIONS
    health_check_interval: int = defaults.HEALTH_CHECK_INTERVAL_SECONDS
    mode: str = defaults.MODE
    sentinels: tuple[tuple[str, int], ...] = ()
    service_name: str | None = None
    nodes: tuple[tuple[str, int], ...] = ()

    def address(self) -> str:
        """host:port/db, the Sentinel service, or the Cluster seed nodes (for people)."""
        if self.mode == "cluster":
            return "cluster " + ",".join(f"{h}:{p}" for h, p in self.nodes)
        if self.mode == "sentinel":
            where = f"{self.sentinels[0][0]}:{self.sentinels[0][1]}" if self.sentinels else "?"
            return f"sentinel {self.service_name}@{where}/{self.db}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}/{self.db}"

    def tls_warnings(self) -> list[str]:
        found = []
        if self.tls.enabled and not self.tls.verify:
            found.append("TLS certificate verification is OFF (tls.verify = false)")
        if self.tls.enabled and not self.tls.check_hostname:
            found.append("TLS host name checking is OFF (tls.check_hostname = false)")
        return found


def _pairs(items: Any) -> tuple[tuple[str, int], ...]:
    return tuple((str(i["host"]), int(i["port"])) for i in items or ())


def _password(ref: dict[str, Any] | None) -> dict[str, Any] | None:
    if ref is not None and ref.get("source") == "keyring" and "service" not in ref:
        return {**ref, "service": defaults.KEYRING_SERVICE}
    return ref


def connection(name: str, entry: Document) -> ConnectionSpec:
    """The spec of project ``name`` from its (checked) entry in the document."""
    tls = entry.get("tls") or {}
    timeouts = entry.get("timeouts") or {}
    pool = entry.get("pool") or {}
    return ConnectionSpec(
        name=name,
        host=entry.get("host", defaults.HOST),
        port=entry.get("port", defaults.PORT),
        db=entry.get("db", defaults.DB),
        username=entry.get("username"),
        password=_password(entry.get("password")),
        key_prefix=entry.get("key_prefix") or defaults.key_prefix(name),
        conversation_ttl_seconds=entry.get(
            "conversation_ttl_seconds", defaults.CONVERSATION_TTL_SECONDS
        ),
        max_turns=entry.get("max_turns", defaults.MAX_TURNS),
        client_name=entry.get("client_name"),
        tls=TLSSpec(
            enabled=bool(tls.get("enabled", False)),
            ca_file=tls.get("ca_file"),
            cert_file=tls.get("cert_file"),
            key_file=tls.get("key_file"),
            verify=tls.get("verify", defaults.TLS_VERIFY),
            check_hostname=tls.get("check_hostname", defaults.TLS_CHECK_HOSTNAME),
        ),
        connect_timeout=float(timeouts.get("connect_seconds", defaults.CONNECT_TIMEOUT_SECONDS)),
        socket_timeout=float(timeouts.get("socket_seconds", defaults.SOCKET_TIMEOUT_SECONDS)),
        max_connections=pool.get("max_connections", defaults.MAX_CONNECTIONS),
        health_check_interval=pool.get(
            "health_check_interval_seconds", defaults.HEALTH_CHECK_INTERVAL_SECONDS
        ),
        mode=entry.get("mode", defaults.MODE),
        sentinels=_pairs(entry.get("sentinels")),
        service_name=entry.get("service_name"),
        nodes=_pairs(entry.get("nodes")),
    )


def connections(document: Document) -> dict[str, Document]:
    """The project entries of a document (empty when there are none)."""
    storage = document.get("storage") or {}
    conns: dict[str, Document] = (storage.get("redis") or {}).get("connections") or {}
    return conns


def projects(document: Document) -> dict[str, ConnectionSpec]:
    return {name: connection(name, entry) for name, entry in connections(document).items()}


@dataclass(frozen=True, slots=True)
class StorageSpec:
    type: str = defaults.STORAGE_TYPE
    fallback: str = defaults.FALLBACK
    default: str | None = None


def storage(document: Document) -> StorageSpec:
    section = document.get("storage") or {}
    return StorageSpec(
        type=section.get("type", defaults.STORAGE_TYPE),
        fallback=section.get("fallback", defaults.FALLBACK),
        default=(section.get("redis") or {}).get("default"),
    )


@dataclass(frozen=True, slots=True)
class LocalSpec:
    """The local store's settings, every default applied; ``path`` as written."""

    path: str = defaults.LOCAL_PATH
    conversation_ttl_seconds: int = defaults.CONVERSATION_TTL_SECONDS
    max_turns: int = defaults.MAX_TURNS

    def resolved(self, config_path: str | os.PathLike[str] | None = None) -> Path:
        """The database path: ``~`` expanded; a relative path is relative to the
        config file's directory (to the working directory without one). Symlinks
        are not resolved here: the store checks them."""
        path = Path(self.path).expanduser()
        if not path.is_absolute() and config_path is not None:
            path = Path(config_path).expanduser().parent / path
        return Path(os.path.abspath(path))


def local(document: Document) -> LocalSpec:
    section = (document.get("storage") or {}).get("local") or {}
    return LocalSpec(
        path=section.get("path", defaults.LOCAL_PATH),
        conversation_ttl_seconds=section.get(
            "conversation_ttl_seconds", defaults.CONVERSATION_TTL_SECONDS
        ),
        max_turns=section.get("max_turns", defaults.MAX_TURNS),
    )


def connection_document(entry: Document) -> Document:
    """The entry with every default filled in, shaped as the file writes it
    (what ``models.Connection(...).model_dump(mode="json")`` gives, without pydantic);
    ``key_prefix`` stays null when the file does not set it."""
    view = connection("", entry)
    tls = view.tls
    return {
        "host": view.host,
        "port": view.port,
        "db": view.db,
        "username": view.username,
        "password": view.password,
        "key_prefix": entry.get("key_prefix"),
        "conversation_ttl_seconds": view.conversation_ttl_seconds,
        "max_turns": view.max_turns,
        "client_name": view.client_name,
        "tls": {
            "enabled": tls.enabled,
            "ca_file": tls.ca_file,
            "cert_file": tls.cert_file,
            "key_file": tls.key_file,
            "verify": tls.verify,
            "check_hostname": tls.check_hostname,
        },
        "timeouts": {
            "connect_seconds": view.connect_timeout,
            "socket_seconds": view.socket_timeout,
        },
        "pool": {
            "max_connections": view.max_connections,
            "health_check_interval_seconds": view.health_check_interval,
        },
        "mode": view.mode,
        "sentinels": [{"host": h, "port": p} for h, p in view.sentinels],
        "service_name": view.service_name,
        "nodes": [{"host": h, "port": p} for h, p in view.nodes],
    }
