"""The Redis store. This package is the only code that imports redis.

One client (one connection pool) per project per process, reused. The first
PING runs with retries off, so deciding that Redis is unavailable costs at
most one connect timeout; afterwards commands get a small bounded retry.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ...errors import StorageUnavailableError, ZenConfigError
from ..base import meta_key, turns_key

if TYPE_CHECKING:
    from ...spec import ConnectionSpec as Connection

APPEND = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('LLEN', KEYS[2]) >= tonumber(ARGV[3]) then return -2 end
local n = redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'last_updated_at', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return n
"""
CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""
F = TypeVar("F", bound=Callable[..., Any])
GLOB_SPECIAL = str.maketrans({c: "\\" + c for c in "*?[]\\"})

_CLIENTS: dict[tuple[Any, ...], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def _translated(method: F) -> F:
    """Redis errors of a store call become ours (StorageUnavailableError, ...)."""

    @functools.wraps(method)
    def wrapper(self: RedisStore, *args: Any, **kwargs: Any) -> Any:
        import redis.exceptions as rex

        try:
            return method(self, *args, **kwargs)
        except rex.RedisError as e:
            raise translate(e, self.name, self.prefix) from e

    return wrapper  # type: ignore[return-value]


class RedisStore:
    def __init__(
        self, client: Any, *, name: str, prefix: str, default_ttl: int, max_turns: int
    ) -> None:
        self.client = client
        self.name = name
        self.prefix = prefix
        self.default_ttl = default_ttl
        self.max_turns = max_turns
        self.degraded = False
        self.selection: Any = None
        self._append = client.register_script(APPEND)
        self._create = client.register_script(CREATE)

    def _k(self, key: str) -> str:
        return self.prefix + key

    @_translated
    def get(self, key: str) -> str | None:
        value = self.client.get(self._k(key))
        return value if value is None or isinstance(value, str) else str(value)

    @_translated
    def set_with_ttl(self, key: str, ttl: int, value: str) -> None:
        self.client.set(self._k(key), value, ex=int(ttl))

    def setex(self, key: str, ttl: int, value: str) -> None:
        self.set_with_ttl(key, ttl, value)

    @_translated
    def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        if len(keys) == 1:
            return int(self.client.delete(self._k(keys[0])))
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.delete(self._k(key))
        return sum(int(n) for n in pipe.execute())

    @_translated
    def exists(self, key: str) -> bool:
        return bool(self.client.exists(self._k(key)))

    @_translated
    def ttl(self, key: str) -> int:
        return int(self.client.ttl(self._k(key)))

    def scan(self, match: str = "*") -> Iterator[str]:
        pattern = self.prefix.translate(GLOB_SPECIAL) + match
        cut = len(self.prefix)
        for key in self.client.scan_iter(match=pattern, count=500):
            yield key[cut:]

    @_translated
    def ping(self) -> float:
        started = time.perf_counter()
        self.client.ping()
        return time.perf_counter() - started

    def close(self) -> None:
        """Keep the shared pool for the rest of the process; see ``close_all``."""

    @_translated
    def thread_create(self, thread_id: str, meta: dict[str, str], ttl: int) -> bool:
        flat = [item for pair in meta.items() for item in pair]
        return bool(self._create(keys=[self._k(meta_key(thread_id))], args=[int(ttl), *flat]))

    def thread_append(
        self, thread_id: str, turn: str, updated_at: str, ttl: int, max_turns: int
    ) -> int:
        keys = [self._k(meta_key(thread_id)), self._k(turns_key(thread_id))]
        return int(self._append(keys=keys, args=[turn, int(ttl), int(max_turns), updated_at]))

    @_translated
    def thread_read(self, thread_id: str) -> tuple[dict[str, str] | None, list[str]]:
        pipe = self.client.pipeline(transaction=False)  # one round trip
        pipe.hgetall(self._k(meta_key(thread_id)))
        pipe.lrange(self._k(turns_key(thread_id)), 0, -1)
        meta, turns = pipe.execute()
        return (meta or None), list(turns)

    def thread_delete(self, thread_id: str) -> bool:
        return self.delete(meta_key(thread_id), turns_key(thread_id)) > 0


# -- building clients ----------------------------------------------------------


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


def translate(error: Exception, name: str, where: str) -> ZenConfigError:
    """A redis error as ours: unreachable (fallback may apply) or a hard error."""
    import redis.exceptions as rex

    text = str(error)
    if isinstance(error, rex.AuthenticationError | rex.AuthorizationError) or "WRONGPASS" in text:
        return ZenConfigError(
            f"Redis refused the credentials of project '{name}': {text}",
            where=where,
            hint=f"check the user and password: zen config show {name}; "
            f"zen config set-password {name}",
        )
    if isinstance(error, rex.NoPermissionError) or "NOPERM" in text:
        return ZenConfigError(
            f"the Redis ACL denies project '{name}': {text}",
            where=where,
            hint="allow the user the project's key prefix (e.g. ~zen:NAME:*) and commands",
        )
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text.lower():
        return ZenConfigError(
            f"TLS verification of the Redis server failed for project '{name}'",
            where=where,
            hint="check tls.ca_file and the server's certificate/host name",
        )
    if isinstance(error, rex.ConnectionError | rex.TimeoutError | OSError) or (
        isinstance(error, rex.RedisClusterException) and "connect" in text.lower()
    ):
        return StorageUnavailableError(
            f"Redis for project '{name}' is unreachable: {text}", where=where
        )
    return ZenConfigError(f"Redis error for project '{name}': {text}", where=where)


def open_store(conn: Connection, password: str | None) -> RedisStore:
    """The project's store on its shared client; raises translated errors."""
    import redis.exceptions as rex

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
