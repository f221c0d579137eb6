"""The Redis stages of ``zen config test-connection`` (see ``zenconfig.health``).

Every client comes from ``client.build_client`` (the store's TLS policy and
codec, no retries) and every error is classified by ``classify.translate``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ...errors import StorageUnavailableError, ZenConfigError
from .classify import redis_errors, translate
from .client import build_client, sentinel_manager, text

if TYPE_CHECKING:
    from ...spec import ConnectionSpec as Connection


def _error(e: BaseException, conn: Connection) -> ZenConfigError:
    return translate(e, conn.name, conn.address(), prefix=conn.key_prefix, db=conn.db)


def sentinel_master(conn: Connection, timeout: float) -> tuple[str, int]:
    """The master address the Sentinels report for ``conn.service_name`` (all asked at once)."""
    try:
        host, port = sentinel_manager(conn, timeout).discover_master(conn.service_name)
    except redis_errors() as e:
        raise _error(e, conn) from e
    return str(host), int(port)


def tls_handshake(conn: Connection, host: str, port: int, timeout: float) -> str:
    """Connect with the store's TLS policy (TCP and TLS only): the TLS version."""
    client: Any = None
    try:  # a single-connection client connects when built
        node = (host, port)
        client = build_client(conn, None, node=node, timeout=timeout, single=True, bare=True)
        client.connection.connect()
        return str(client.connection._sock.version())
    except redis_errors() as e:
        raise _error(e, conn) from e
    finally:
        if client is not None:
            client.close()


def probe(
    name: str, conn: Connection, password: str | None, host: str, port: int, timeout: float
) -> Iterator[tuple[str, Any]]:
    """The Redis stages of test-connection: yields (stage, (seconds, detail, info))
    or (stage, error) and stops at the first failure. Retries are off."""
    import uuid

    stage = "auth"
    client: Any = None
    target: Any = None
    try:
        started = time.perf_counter()
        client = build_client(conn, password, node=(host, port), db=0, timeout=timeout, single=True)
        client.execute_command("CLIENT", "ID")
        yield stage, (time.perf_counter() - started, conn.username or "default", {})
        if conn.mode != "cluster":
            stage = "select"
            started = time.perf_counter()
            client.execute_command("SELECT", conn.db)
            yield stage, (time.perf_counter() - started, f"db {conn.db}", {})
        stage = "ping"
        started = time.perf_counter()
        client.ping()
        latency = time.perf_counter() - started
        info: dict[str, str] = {"latency_ms": f"{latency * 1000:.2f}"}
        try:
            server = client.info("server")
            info["version"] = text(server.get("redis_version", "?"))
            info["role"] = text(client.info("replication").get("role", "?"))
        except redis_errors():
            info["version"] = info["role"] = "unknown (INFO not allowed)"
        yield stage, (latency, f"{latency * 1000:.2f} ms", info)
        stage = "probe"
        started = time.perf_counter()
        target = build_client(conn, password, timeout=timeout) if conn.mode == "cluster" else client
        key = f"{conn.key_prefix}zen-probe:{uuid.uuid4().hex}"
        target.set(key, "probe", ex=30)
        if target.get(key) != b"probe":
            raise ZenConfigError("the probe key did not read back")
        target.delete(key)
        yield stage, (time.perf_counter() - started, key, {})
    except Exception as e:  # classified below; anything unexpected is re-raised
        if not isinstance(e, (*redis_errors(), ZenConfigError)):
            raise
        error = _error(e, conn)
        import redis.exceptions as rex

        if (  # the connection itself failed (not a first command left unanswered)
            stage == "auth"
            and isinstance(error, StorageUnavailableError)
            and not isinstance(e, rex.TimeoutError)
        ):
            stage = "connect"
        yield stage, error
    finally:
        if target is not None and target is not client:
            target.close()
        if client is not None:
            client.close()
