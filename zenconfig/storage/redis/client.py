"""The one Redis client builder: the store, test-connection and data moving all use it.

Decided here, once:

- Bytes: every client is binary (``decode_responses`` off). The store decodes
  at its boundary with ``text()``; strings are encoded with the same codec
  (UTF-8, ``surrogateescape``), so a key read from the server is written back
  byte for byte, whatever it holds. Lengths sent to Lua are byte lengths.
- TLS: ``tls_kwargs`` is the one policy (the store, test-connection's TLS
  stage, data moving).
- Retries: none, anywhere (the client, its pool, Sentinel's own clients,
  Cluster and its nodes). A command that fails costs one timeout and is
  reported; an append is never sent twice.
- Timeouts: ``timeout`` overrides both the connect and the socket timeout
  (test-connection, the first contact of ``contact.open_client``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ...spec import ConnectionSpec as Connection

CODEC = ("utf-8", "surrogateescape")


def text(value: bytes | str) -> str:
    """A server reply as text, reversible: ``text(b).encode(*CODEC) == b``."""
    return value.decode(*CODEC) if isinstance(value, bytes) else value


def raw(value: str) -> bytes:
    """Text as the bytes the client sends for it (the inverse of ``text``)."""
    return value.encode(*CODEC)


def preload() -> None:
    """Import redis now (test-connection overlaps it with its first stages)."""
    import redis  # noqa: F401


def replies(client: Any, *commands: tuple[Any, ...]) -> list[Any]:
    """The server's replies to ``commands``, sent at once on one pooled connection
    (one round trip), as parsed, without redis-py's reply callbacks: a hash comes back
    as its flat list of fields and values. For the hot paths, where redis-py's command
    and pipeline bookkeeping costs more than the round trip. Not for Cluster (no one
    pool). An error reply is raised once every reply is read (the connection stays in
    step); any other failure drops the connection, which may hold unread replies."""
    from redis.exceptions import ResponseError

    pool = client.connection_pool
    conn = pool.get_connection()
    try:
        conn.send_packed_command(conn.pack_commands(commands))
        found: list[Any] = []
        for _ in commands:
            try:
                found.append(conn.read_response())
            except ResponseError as e:
                found.append(e)
    except BaseException:
        conn.disconnect()
        raise
    finally:
        pool.release(conn)
    for reply in found:
        if isinstance(reply, ResponseError):
            raise reply
    return found


def no_retry() -> Any:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return Retry(NoBackoff(), 0)


def tls_kwargs(conn: Connection) -> dict[str, Any]:
    """The TLS policy: verify the certificate and the host name unless told not to.
    The files it names are checked first: a missing or unreadable one is the
    configuration's fault (exit 3, never a fallback), not an unreachable server."""
    if not conn.tls.enabled:
        return {}
    check_tls_files(conn)
    return {
        "ssl": True,
        "ssl_ca_certs": conn.tls.ca_file,
        "ssl_certfile": conn.tls.cert_file,
        "ssl_keyfile": conn.tls.key_file,
        "ssl_cert_reqs": "required" if conn.tls.verify else "none",
        "ssl_check_hostname": conn.tls.verify and conn.tls.check_hostname,
    }


def check_tls_files(conn: Connection) -> None:
    """Each TLS file the project names is a regular file that loads as PEM."""
    import os
    import ssl
    import stat

    from ...errors import ConfigError

    files = {"ca_file": conn.tls.ca_file, "cert_file": conn.tls.cert_file}
    files["key_file"] = conn.tls.key_file
    for field, path in files.items():
        if path is None:
            continue
        key = f"storage.redis.connections.{conn.name}.tls.{field}"
        try:
            info = os.stat(path)
            if not stat.S_ISREG(info.st_mode):
                raise IsADirectoryError(0, "not a regular file")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            if field == "ca_file":
                context.load_verify_locations(cafile=path)
            elif field == "cert_file":
                context.load_cert_chain(path, conn.tls.key_file)
        except (OSError, ssl.SSLError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            raise ConfigError(
                f"{key}: cannot use {path!r}: {reason}",
                hint=f"point it at a PEM file: zen config set {conn.name} tls.{field} PATH",
            ) from None


def _kwargs(
    conn: Connection, password: str | None, timeout: float | None, bare: bool
) -> dict[str, Any]:
    kwargs = {
        "username": None if bare else conn.username,
        "password": None if bare else password,
        "socket_connect_timeout": timeout or conn.connect_timeout,
        "socket_timeout": timeout or conn.socket_timeout,
        "retry": no_retry(),
        "health_check_interval": 0 if bare else conn.health_check_interval,
        "client_name": None if bare else conn.client_name,
        "decode_responses": False,
        # RESP2: AUTH, never HELLO (a server without HELLO would echo its
        # arguments, the password among them, in its error; and refuse us)
        "protocol": 2,
        "encoding": CODEC[0],
        "encoding_errors": CODEC[1],
        **no_setinfo(),  # no CLIENT SETINFO round trips in the handshake
        **tls_kwargs(conn),
    }
    return kwargs


def no_setinfo() -> dict[str, Any]:
    """The handshake without CLIENT SETINFO (``driver_info`` since redis-py 7)."""
    import importlib.util

    if importlib.util.find_spec("redis.driver_info") is not None:
        return {"driver_info": None}
    return {"lib_name": None, "lib_version": None}


def build_client(
    conn: Connection,
    password: str | None,
    *,
    node: tuple[str, int] | None = None,
    db: int | None = None,
    timeout: float | None = None,
    single: bool = False,
    bare: bool = False,
    seeds: list[tuple[str, int]] | None = None,
) -> Any:
    """A client for ``conn``: its mode's client, or a standalone one to ``node``.

    ``single``: one connection, no pool (test-connection). ``bare``: no
    AUTH, SELECT or name in the handshake, so connecting is TCP and TLS only
    (test-connection's TLS stage). ``seeds``: the Cluster nodes to start from
    (default: the project's).
    """
    import redis

    kwargs = _kwargs(conn, password, timeout, bare)
    if node is None and conn.mode == "cluster":
        from redis.cluster import ClusterNode, RedisCluster

        kwargs.pop("health_check_interval")
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in seeds or conn.nodes],
            max_connections=conn.max_connections,
            **kwargs,
        )
    if node is None and conn.mode == "sentinel":
        sentinels = sentinel_manager(conn, timeout)
        return sentinels.master_for(
            conn.service_name, db=conn.db, max_connections=conn.max_connections, **kwargs
        )
    host, port = node or (conn.host, conn.port)
    client = redis.Redis(
        host=host,
        port=port,
        db=(conn.db if db is None else db) if not bare else 0,
        max_connections=conn.max_connections,
        single_connection_client=single,
        **kwargs,
    )
    return client if single else _waiting(client, kwargs["socket_timeout"])


def _waiting(client: Any, timeout: float) -> Any:
    """``client`` on a pool that, when all its connections are in use, waits up to
    ``timeout`` for one to come back rather than failing at once: a host calling from
    more threads than ``pool.max_connections`` queues them. The same connections
    (redis-py's own reading of the settings, no retries); Sentinel and Cluster keep
    redis-py's pools, which fail at once (``classify``: nothing was sent)."""
    import redis

    pool = client.connection_pool
    waiting = redis.BlockingConnectionPool(
        connection_class=pool.connection_class,
        max_connections=pool.max_connections,
        timeout=timeout,
        **pool.connection_kwargs,
    )
    found = redis.Redis(connection_pool=waiting)
    found.auto_close_connection_pool = True  # close() disconnects it, as its own pool
    return found


def sentinel_manager(conn: Connection, timeout: float | None = None) -> Any:
    """The project's Sentinels, asked all at once (see ``contact.first_answer``)."""
    from .sentinel import sentinels_class

    budget = timeout or conn.connect_timeout
    return sentinels_class()(
        list(conn.sentinels),
        budget=budget,
        sentinel_kwargs={
            "socket_connect_timeout": budget,
            "socket_timeout": budget,
            "retry": no_retry(),
            **no_setinfo(),
        },
    )
