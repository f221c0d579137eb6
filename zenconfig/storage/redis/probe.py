"""The Redis stages of ``zen config test-connection`` (see ``zenconfig.health``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ...errors import ZenConfigError
from . import build_client, tls_kwargs, translate

if TYPE_CHECKING:
    from ...spec import ConnectionSpec as Connection


def sentinel_master(conn: Connection, timeout: float) -> tuple[str, int]:
    """The master address the Sentinels report for ``conn.service_name``."""
    import redis.exceptions as rex
    from redis.sentinel import Sentinel

    sentinel = Sentinel(
        list(conn.sentinels),
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
    )
    try:
        host, port = sentinel.discover_master(conn.service_name)
    except rex.RedisError as e:
        raise ZenConfigError(f"no Sentinel knows a master for '{conn.service_name}': {e}") from e
    return str(host), int(port)


def _stage_error(error: Exception, name: str, conn: Connection) -> Exception:
    import redis.exceptions as rex

    text = str(error)
    if isinstance(error, rex.AuthenticationError) or "WRONGPASS" in text or "NOAUTH" in text:
        if conn.password is None:
            return ZenConfigError("the server requires a password and the project has none")
        return ZenConfigError("wrong password (or user name) for this server")
    if isinstance(error, rex.NoPermissionError) or "NOPERM" in text:
        return ZenConfigError(
            f"the ACL denies the project's own keys (prefix {conn.key_prefix!r}): {text}"
        )
    if "DB index is out of range" in text or "invalid DB index" in text:
        return ZenConfigError(f"the server has no database {conn.db} (SELECT failed: {text})")
    return translate(error, name, conn.address())


def probe(
    name: str, conn: Connection, password: str | None, host: str, port: int, timeout: float
) -> Iterator[tuple[str, Any]]:
    """The Redis stages of test-connection: yields (stage, (seconds, detail, info))
    or (stage, exception) and stops at the first failure. Retries are off."""
    import uuid

    import redis
    import redis.exceptions as rex
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    stage = "auth"
    client: Any = None
    try:
        started = time.perf_counter()
        client = redis.Redis(
            host=host,
            port=port,
            db=0,
            username=conn.username,
            password=password,
            socket_connect_timeout=timeout,
            socket_timeout=max(timeout, 1.0),
            retry=Retry(NoBackoff(), 0),
            decode_responses=True,
            single_connection_client=True,
            **tls_kwargs(conn),
        )
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
            info["version"] = str(server.get("redis_version", "?"))
            info["role"] = str(client.info("replication").get("role", "?"))
        except rex.NoPermissionError:
            info["version"] = info["role"] = "unknown (INFO not allowed)"
        yield stage, (latency, f"{latency * 1000:.2f} ms", info)
        stage = "probe"
        started = time.perf_counter()
        target = build_client(conn, password) if conn.mode == "cluster" else client
        key = f"{conn.key_prefix}zen-probe:{uuid.uuid4().hex}"
        target.set(key, "probe", ex=30)
        if target.get(key) != "probe":
            raise ZenConfigError("the probe key did not read back")
        target.delete(key)
        yield stage, (time.perf_counter() - started, key, {})
    except (rex.RedisError, OSError, ZenConfigError) as e:
        connection_error = isinstance(e, rex.ConnectionError | rex.TimeoutError)
        if stage == "auth" and connection_error and not isinstance(e, rex.AuthenticationError):
            stage = "connect"
        error = e if isinstance(e, ZenConfigError) else _stage_error(e, name, conn)
        yield stage, error
    finally:
        if client is not None:
            client.close()
