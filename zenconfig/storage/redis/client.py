"""Building a project's Redis client, classifying its errors, opening a store.

One client (one connection pool) per project per process, reused. The first
PING runs with retries off, so deciding that Redis is unavailable costs at
most one connect timeout.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from .classify import translate

if TYPE_CHECKING:
    from ...spec import ConnectionSpec as Connection
    from .store import RedisStore

_CLIENTS: dict[tuple[Any, ...], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def tls_kwargs(conn: Connection) -> dict[str, Any]:
    if not conn.tls.enabled:
        return {}
    return {
        "ssl": True,
        "ssl_ca_certs": conn.tls.ca_file,
        "ssl_certfile": conn.tls.cert_file,
        "ssl_keyfile": conn.tls.key_file,
        "ssl_cert_reqs": "required" if conn.tls.verify else "none",
        "ssl_check_hostname": conn.tls.verify and conn.tls.check_hostname,
    }


def _common(conn: Connection, password: str | None) -> dict[str, Any]:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "username": conn.username,
        "password": password,
        "socket_connect_timeout": conn.connect_timeout,
        "socket_timeout": conn.socket_timeout,
        "retry": Retry(NoBackoff(), 0),  # the first PING decides; see _settle()
        "health_check_interval": conn.health_check_interval,
        "client_name": conn.client_name,
        "decode_responses": True,
        **tls_kwargs(conn),
    }


def build_client(conn: Connection, password: str | None) -> Any:
    import redis

    kwargs = _common(conn, password)
    if conn.mode == "cluster":
        from redis.cluster import ClusterNode, RedisCluster

        kwargs.pop("health_check_interval")
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in conn.nodes],
            max_connections=conn.max_connections,
            **kwargs,
        )
    if conn.mode == "sentinel":
        from redis.sentinel import Sentinel

        sentinel = Sentinel(
            list(conn.sentinels),
            socket_connect_timeout=conn.connect_timeout,
            socket_timeout=conn.socket_timeout,
        )
        return sentinel.master_for(
            conn.service_name, db=conn.db, max_connections=conn.max_connections, **kwargs
        )
    return redis.Redis(
        host=conn.host,
        port=conn.port,
        db=conn.db,
        max_connections=conn.max_connections,
        **kwargs,
    )


def _settle(client: Any) -> None:
    """After the first PING succeeded: a small bounded retry for later commands."""
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    retry = Retry(ExponentialBackoff(cap=0.5, base=0.05), 2)
    if hasattr(client, "set_retry"):
        client.set_retry(retry)


def open_store(conn: Connection, password: str | None) -> RedisStore:
    """The project's store on its shared client; raises translated errors."""
    import redis.exceptions as rex

    from .store import RedisStore

    name = conn.name
    key = (conn, password)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
    if client is None:
        try:
            client = build_client(conn, password)
            client.ping()
        except (rex.RedisError, OSError) as e:
            raise translate(e, name, conn.address()) from e
        _settle(client)
        with _CLIENTS_LOCK:
            client = _CLIENTS.setdefault(key, client)
    return RedisStore(
        client,
        name=name,
        prefix=conn.key_prefix,
        default_ttl=conn.conversation_ttl_seconds,
        max_turns=conn.max_turns,
    )


def close_all() -> None:
    """Close every pooled client of this process (tests, long-lived hosts)."""
    with _CLIENTS_LOCK:
        clients = list(_CLIENTS.values())
        _CLIENTS.clear()
    for client in clients:
        client.close()
