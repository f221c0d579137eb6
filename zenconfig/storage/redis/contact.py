"""The first contact with a project's Redis: the fallback decision, bounded.

Deciding that Redis is unavailable costs at most one connect timeout (plus
scheduling), whatever the failure looks like: a refused port, an unanswered
SYN, a listener that accepts and never answers, a stopped or slow server, dead
Sentinels, unreachable Cluster nodes. How:

- standalone: the pool's first connection is made with the connect timeout as
  its socket timeout too, so the handshake and the first PING are bounded by
  it; then that connection (and the pool) get the normal socket timeout;
- Sentinel: all Sentinels are asked at once, the first good answer wins
  (``first_answer``), then the master is contacted like a standalone server
  within what is left of the budget;
- Cluster: all seed nodes are pinged at once; the client is then built on the
  first node that answered, so its slot discovery talks to a live node.

One client (one pool) per project per process, reused; ``close_all`` ends them.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .classify import redis_errors, translate
from .client import build_client
from .sentinel import first_answer

if TYPE_CHECKING:
    from ...spec import ConnectionSpec as Connection
    from .store import RedisStore

_CLIENTS: dict[tuple[Any, ...], Any] = {}
_LOCK = threading.Lock()


def _retime(connection: Any, conn: Connection) -> None:
    """Give a connection made for the first contact its normal timeouts."""
    connection.socket_timeout = conn.socket_timeout
    connection.socket_connect_timeout = conn.connect_timeout
    if hasattr(connection, "orig_socket_timeout"):
        connection.orig_socket_timeout = conn.socket_timeout
        connection.orig_socket_connect_timeout = conn.connect_timeout
    sock = getattr(connection, "_sock", None)
    if sock is not None:
        sock.settimeout(conn.socket_timeout)
    buffer = getattr(getattr(connection, "_parser", None), "_buffer", None)
    if buffer is not None and hasattr(buffer, "socket_timeout"):
        buffer.socket_timeout = conn.socket_timeout


def _pool_contact(client: Any, conn: Connection, budget: float) -> None:
    """The pool's first connection and a PING, all within ``budget`` seconds."""
    pool = client.connection_pool
    normal = {"socket_connect_timeout": conn.connect_timeout, "socket_timeout": conn.socket_timeout}
    pool.connection_kwargs.update(socket_connect_timeout=budget, socket_timeout=budget)
    try:
        connection = pool.get_connection()
    finally:
        pool.connection_kwargs.update(normal)
    try:
        connection.send_command("PING", check_health=False)
        connection.read_response()
    except BaseException:
        connection.disconnect()
        raise
    finally:
        _retime(connection, conn)
        pool.release(connection)


def _cluster_contact(conn: Connection, password: str | None, budget: float) -> Any:
    def ping(node: tuple[str, int]) -> tuple[str, int]:
        probe = build_client(conn, password, node=node, db=0, timeout=budget, single=True)
        try:
            probe.ping()
        finally:
            probe.close()
        return node

    calls: list[Callable[[], Any]] = [functools.partial(ping, n) for n in conn.nodes]
    node, errors = first_answer(calls, budget)
    if node is None:
        import redis.exceptions as rex

        raise rex.ConnectionError("no Cluster node answered: " + "; ".join(errors))
    return build_client(conn, password, seeds=[node])


def open_client(conn: Connection, password: str | None) -> Any:
    """A client that answered within one connect timeout, or a redis error."""
    budget = conn.connect_timeout
    started = time.monotonic()
    if conn.mode == "cluster":
        return _cluster_contact(conn, password, budget)
    client = build_client(conn, password)
    try:
        if conn.mode == "sentinel":
            client.connection_pool.sentinel_manager.discover_master(conn.service_name)
        left = max(budget - (time.monotonic() - started), 0.05)
        _pool_contact(client, conn, left)
    except BaseException:
        client.close()
        raise
    return client


def open_store(conn: Connection, password: str | None) -> RedisStore:
    """The project's store on its shared client; raises translated errors."""
    from .store import RedisStore

    key = (conn, password)
    with _LOCK:
        client = _CLIENTS.get(key)
    if client is None:
        try:
            client = open_client(conn, password)
        except redis_errors() as e:
            raise translate(e, conn.name, conn.address()) from e
        with _LOCK:
            shared = _CLIENTS.setdefault(key, client)
        if shared is not client:  # another thread opened it first
            client.close()
            client = shared
    return RedisStore(client, conn)


def close_all() -> None:
    """Close every pooled client of this process (tests, long-lived hosts)."""
    with _LOCK:
        clients = list(_CLIENTS.values())
        _CLIENTS.clear()
    for client in clients:
        client.close()
