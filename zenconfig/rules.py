"""Checks that span several fields, on plain documents (no pydantic).

Used by ``models.Config`` after type validation and by ``fastcheck`` on the
fast path; both see the same rules. Defaults live here once and the models
take them from here.
"""

from __future__ import annotations

from typing import Any, Literal

CURRENT_VERSION = 1
NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
HOST = "127.0.0.1"
PORT = 6379
DB = 0
MODE: Literal["standalone"] = "standalone"
TTL_SECONDS = 10800
MAX_TURNS = 50
LOOPBACK_NAMES = {"localhost": "127.0.0.1", "::1": "127.0.0.1", "[::1]": "127.0.0.1"}

Conn = dict[str, Any]


def default_prefix(name: str) -> str:
    return f"zen:{name}:"


def prefix(name: str, conn: Conn) -> str:
    return conn.get("key_prefix") or default_prefix(name)


def _norm(host: str) -> str:
    host = host.lower()
    return LOOPBACK_NAMES.get(host, host)


def servers(conn: Conn) -> set[tuple[Any, ...]]:
    """Addresses that identify the data this connection sees."""
    mode = conn.get("mode") or MODE
    db = conn.get("db", DB)
    if mode == "cluster":
        return {("cluster", _norm(n["host"]), n["port"]) for n in conn.get("nodes") or []}
    if mode == "sentinel":
        name = conn.get("service_name")
        return {
            ("sentinel", name, _norm(s["host"]), s["port"], db) for s in conn.get("sentinels") or []
        }
    return {("standalone", _norm(conn.get("host") or HOST), conn.get("port", PORT), db)}


def address(conn: Conn) -> str:
    mode = conn.get("mode") or MODE
    db = conn.get("db", DB)
    if mode == "cluster":
        return "cluster " + ",".join(f"{n['host']}:{n['port']}" for n in conn.get("nodes") or [])
    if mode == "sentinel":
        first = (conn.get("sentinels") or [None])[0]
        where = f"{first['host']}:{first['port']}" if first else "?"
        return f"sentinel {conn.get('service_name')}@{where}/{db}"
    return f"{conn.get('host') or HOST}:{conn.get('port', PORT)}/{db}"


def connection_problems(conn: Conn) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    mode = conn.get("mode") or MODE
    if mode == "sentinel":
        if not conn.get("sentinels"):
            found.append(("sentinels", "required when mode is 'sentinel'"))
        if not conn.get("service_name"):
            found.append(("service_name", "required when mode is 'sentinel'"))
    if mode == "cluster":
        if not conn.get("nodes"):
            found.append(("nodes", "required when mode is 'cluster'"))
        if conn.get("db", DB) != 0:
            found.append(("db", "must be 0 when mode is 'cluster'"))
    tls = conn.get("tls") or {}
    for name in ("cert_file", "key_file"):
        if tls.get(name) and not tls.get("enabled"):
            found.append((f"tls.{name}", "set, but tls.enabled is false"))
    return found


def problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    """Every cross-field problem of a type-valid document, as (dotted path, message)."""
    base = "storage.redis"
    storage = document.get("storage") or {}
    redis = storage.get("redis") or {}
    conns: dict[str, Conn] = redis.get("connections") or {}
    default = redis.get("default")
    found: list[tuple[str, str]] = []
    if default is not None and default not in conns:
        known = ", ".join(sorted(conns)) or "none defined"
        found.append((f"{base}.default", f"names no connection (known: {known})"))
    if storage.get("type") == "redis" and default is None:
        found.append((f"{base}.default", "required when storage.type is 'redis'"))
    for name, conn in conns.items():
        found += [(f"{base}.connections.{name}.{p}", m) for p, m in connection_problems(conn)]
    items = sorted(conns.items())
    for i, (a_name, a) in enumerate(items):
        for b_name, b in items[i + 1 :]:
            if not servers(a) & servers(b):
                continue
            pa, pb = prefix(a_name, a), prefix(b_name, b)
            if pa.startswith(pb) or pb.startswith(pa):
                found.append(
                    (
                        f"{base}.connections.{b_name}.key_prefix",
                        f"'{pb}' overlaps '{pa}' of project '{a_name}' on the same server "
                        "(each project needs a prefix of its own)",
                    )
                )
    return found
