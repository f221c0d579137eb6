"""Server identity: which Redis data a connection reaches. Decided here only.

Two connections see the same data when they share an endpoint: the same
server address, port and database (standalone, or a Sentinel master once it
is known), the same Sentinel service behind the same Sentinels, or a node of
the same Cluster. Host names are normalised so that ``localhost``,
``127.0.0.1``, ``127.1``, ``::1`` and ``LOCALHOST.`` are one loopback host.

``resolve=False`` (the prefix-overlap rule, run on every write) never touches
the network: literal addresses are normalised, names compared as names.
``resolve=True`` (copy, doctor) also looks names up, so that
``redis1.example.com`` and its address are recognised as one server.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import defaults

LOOPBACK = frozenset({"127.0.0.1", "::1"})
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}

TYPE_CHECKING = False  # typing costs a bare Python start (zenconfig.values)
if TYPE_CHECKING:
    from typing import Any

    Endpoint = tuple[Any, ...]
else:
    Endpoint = tuple


def _literal(host: str) -> str | None:
    """A literal IP address in canonical form, or None for a name."""
    text = host.strip("[]")
    if not (text[:1].isdigit() or ":" in text or text[:2] == "0x"):
        return None  # a name: no digit first, no colon (every IPv4 form starts with a digit)
    import ipaddress

    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        import socket

        try:  # the short and numeric IPv4 forms connect() accepts: 127.1, 2130706433
            address = ipaddress.ip_address(socket.inet_aton(text))
        except (OSError, ValueError):
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def host_addresses(host: str, *, resolve: bool = False) -> frozenset[str]:
    """The addresses ``host`` stands for (loopback hosts are all one)."""
    name = host.strip().lower().rstrip(".")
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return LOOPBACK
    literal = _literal(name)
    if literal is not None:
        import ipaddress

        is_loopback = ipaddress.ip_address(literal).is_loopback or literal in ("0.0.0.0", "::")
        return LOOPBACK if is_loopback else frozenset({literal})
    if resolve:
        import socket

        try:
            infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return frozenset({name})
        found: set[str] = set()
        for info in infos:
            found |= host_addresses(str(info[4][0]))
        return frozenset(found) or frozenset({name})
    return frozenset({name})


def _field(conn: Any, name: str, default: Any) -> Any:
    if isinstance(conn, dict):
        return conn.get(name, default)
    return getattr(conn, name, default)


def _pairs(items: Iterable[Any]) -> list[tuple[str, int]]:
    return [(i["host"], i["port"]) if isinstance(i, dict) else (i[0], i[1]) for i in items or ()]


def endpoints(
    conn: Any, *, resolve: bool = False, master: tuple[str, int] | None = None
) -> frozenset[Endpoint]:
    """The endpoints of a connection (a document entry or a ``ConnectionSpec``).

    ``master``: the address a Sentinel reported for the service; the
    connection is then identified by that server, like a standalone one.
    """
    mode = _field(conn, "mode", defaults.MODE) or defaults.MODE
    db = _field(conn, "db", defaults.DB)
    if mode == "cluster":
        return frozenset(
            ("cluster", address, port)
            for host, port in _pairs(_field(conn, "nodes", ()))
            for address in host_addresses(host, resolve=resolve)
        )
    if mode == "sentinel" and master is None:
        service = _field(conn, "service_name", None)
        return frozenset(
            ("sentinel", service, address, port, db)
            for host, port in _pairs(_field(conn, "sentinels", ()))
            for address in host_addresses(host, resolve=resolve)
        )
    host, port = master or (
        _field(conn, "host", defaults.HOST) or defaults.HOST,
        _field(conn, "port", defaults.PORT),
    )
    return frozenset(
        ("server", address, port, db) for address in host_addresses(host, resolve=resolve)
    )


def same_data(a: Any, b: Any, *, resolve: bool = False) -> bool:
    """Do two connections reach the same server and database?"""
    return bool(endpoints(a, resolve=resolve) & endpoints(b, resolve=resolve))


def same_server(a: frozenset[Endpoint], b: frozenset[Endpoint]) -> bool:
    """Do two endpoint sets name one server process (any database)?"""

    def servers(found: frozenset[Endpoint]) -> set[tuple[Any, ...]]:
        return {(e[0], *e[-3:-1]) if e[0] != "cluster" else e for e in found}

    return bool(servers(a) & servers(b))
