"""Checks that span several fields, on plain documents (no pydantic).

Used by ``models.Config`` after type validation and by ``fastcheck`` on the
fast path; both see the same rules. Defaults come from ``zenconfig.defaults``,
server identity from ``zenconfig.identity``.
"""

from __future__ import annotations

from collections import defaultdict

from . import defaults, identity

CURRENT_VERSION = defaults.CURRENT_VERSION
# `$(?!\n)`: the end of the text, in every engine that reads the schema (in
# Python's `re`, a bare `$` also matches before a final newline).
NAME_PATTERN = r"^[A-Za-z0-9_.-]+$(?!\n)"
NAME_MAX = 64
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$(?!\n)"

TYPE_CHECKING = False  # typing costs a bare Python start (zenconfig.values)
if TYPE_CHECKING:
    from typing import Any

    Conn = dict[str, Any]
else:
    Conn = dict


def prefix(name: str, conn: Conn) -> str:
    return conn.get("key_prefix") or defaults.key_prefix(name)


def connection_problems(conn: Conn) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    mode = conn.get("mode") or defaults.MODE
    if mode == "sentinel":
        if not conn.get("sentinels"):
            found.append(("sentinels", "required when mode is 'sentinel'"))
        if not conn.get("service_name"):
            found.append(("service_name", "required when mode is 'sentinel'"))
    if mode == "cluster":
        if not conn.get("nodes"):
            found.append(("nodes", "required when mode is 'cluster'"))
        if conn.get("db", defaults.DB) != 0:
            found.append(("db", "must be 0 when mode is 'cluster'"))
    tls = conn.get("tls") or {}
    for name in ("cert_file", "key_file"):
        if tls.get(name) and not tls.get("enabled"):
            found.append((f"tls.{name}", "set, but tls.enabled is false"))
    return found


def prefix_overlaps(conns: dict[str, Conn], *, resolve: bool = False) -> list[tuple[str, str]]:
    """Pairs of projects on one server whose key prefixes are equal or nested.

    n log n: projects are grouped by endpoint and sorted by prefix (as bytes);
    walking a group in order with a stack of the prefixes that start the
    current one pairs every project with the nearest prefix that contains it.
    """
    groups: dict[Any, list[tuple[bytes, str]]] = defaultdict(list)
    for name, conn in conns.items():
        key = prefix(name, conn).encode("utf-8")
        for endpoint in identity.endpoints(conn, resolve=resolve):
            groups[endpoint].append((key, name))
    pairs: set[tuple[str, str]] = set()
    for members in groups.values():
        members.sort()
        stack: list[tuple[bytes, str]] = []
        for key, name in members:
            while stack and not key.startswith(stack[-1][0]):
                stack.pop()
            if stack:
                other = stack[-1][1]
                pairs.add((other, name) if other < name else (name, other))
            stack.append((key, name))
    return sorted(pairs)


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
    for a_name, b_name in prefix_overlaps(conns):
        pa, pb = prefix(a_name, conns[a_name]), prefix(b_name, conns[b_name])
        found.append(
            (
                f"{base}.connections.{b_name}.key_prefix",
                f"'{pb}' overlaps '{pa}' of project '{a_name}' on the same server "
                "(each project needs a prefix of its own)",
            )
        )
    return found
