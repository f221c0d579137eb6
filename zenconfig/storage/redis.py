"""The Redis store: the only module that imports redis.

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

from ..errors import StorageUnavailableError, ZenConfigError
from .base import meta_key, thread_id_of, turns_key

if TYPE_CHECKING:
    from ..models import Connection

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

    def thread_ids(self) -> Iterator[str]:
        for key in self.scan("thread:*:meta"):
            found = thread_id_of(key)
            if found is not None:
                yield found


# -- building clients ----------------------------------------------------------


def _tls_kwargs(conn: Connection) -> dict[str, Any]:
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
        "socket_connect_timeout": conn.timeouts.connect_seconds,
        "socket_timeout": conn.timeouts.socket_seconds,
        "retry": Retry(NoBackoff(), 0),  # the first PING decides; see _settle()
        "health_check_interval": conn.pool.health_check_interval_seconds,
        "client_name": conn.client_name,
        "decode_responses": True,
        **_tls_kwargs(conn),
    }


def _build(conn: Connection, password: str | None) -> Any:
    import redis

    kwargs = _common(conn, password)
    if conn.mode == "cluster":
        from redis.cluster import ClusterNode, RedisCluster

        kwargs.pop("health_check_interval")
        return RedisCluster(
            startup_nodes=[ClusterNode(n.host, n.port) for n in conn.nodes],
            max_connections=conn.pool.max_connections,
            **kwargs,
        )
    if conn.mode == "sentinel":
        from redis.sentinel import Sentinel

        sentinel = Sentinel(
            [(s.host, s.port) for s in conn.sentinels],
            socket_connect_timeout=conn.timeouts.connect_seconds,
            socket_timeout=conn.timeouts.socket_seconds,
        )
        return sentinel.master_for(
            conn.service_name, db=conn.db, max_connections=conn.pool.max_connections, **kwargs
        )
    return redis.Redis(
        host=conn.host,
        port=conn.port,
        db=conn.db,
        max_connections=conn.pool.max_connections,
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


def open_store(name: str, conn: Connection, password: str | None) -> RedisStore:
    """The project's store on its shared client; raises translated errors."""
    import redis.exceptions as rex

    key = (name, conn.model_dump_json(), password)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
    if client is None:
        try:
            client = _build(conn, password)
            client.ping()
        except (rex.RedisError, OSError) as e:
            raise translate(e, name, conn.address()) from e
        _settle(client)
        with _CLIENTS_LOCK:
            client = _CLIENTS.setdefault(key, client)
    return RedisStore(
        client,
        name=name,
        prefix=conn.prefix(name),
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


# -- test-connection stages ----------------------------------------------------


def sentinel_master(conn: Connection, timeout: float) -> tuple[str, int]:
    """The master address the Sentinels report for ``conn.service_name``."""
    import redis.exceptions as rex
    from redis.sentinel import Sentinel

    sentinel = Sentinel(
        [(s.host, s.port) for s in conn.sentinels],
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
            f"the ACL denies the project's own keys (prefix {conn.prefix(name)!r}): {text}"
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
            **_tls_kwargs(conn),
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
        target = _build(conn, password) if conn.mode == "cluster" else client
        key = f"{conn.prefix(name)}zen-probe:{uuid.uuid4().hex}"
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


# -- moving data -------------------------------------------------------------


def server_identity(store: RedisStore) -> tuple[Any, ...] | None:
    """(host, port) of a standalone server, to tell whether two stores share one."""
    kwargs = getattr(store.client, "connection_pool", None)
    if kwargs is None or store.client.__class__.__name__ != "Redis":
        return None
    conn = kwargs.connection_kwargs
    if "host" not in conn:  # Sentinel pools resolve the master per connection
        return None
    return conn["host"], conn["port"], conn.get("db", 0)


def scan_page(store: RedisStore, cursor: int, count: int) -> tuple[int, list[str]]:
    """One SCAN step under the store's prefix: (next cursor, full key names)."""
    pattern = store.prefix.translate(GLOB_SPECIAL) + "*"
    next_cursor, keys = store.client.scan(cursor=cursor, match=pattern, count=count)
    return int(next_cursor), list(keys)


def existing(store: RedisStore, keys: list[str]) -> list[bool]:
    pipe = store.client.pipeline(transaction=False)
    for key in keys:
        pipe.exists(key)
    return [bool(n) for n in pipe.execute()]


def copy_listed(
    store: RedisStore, pairs: list[tuple[str, str]], replace: bool, target_db: int | None = None
) -> int:
    """Server-side COPY (value and TTL) of each listed (source, target) name."""
    pipe = store.client.pipeline(transaction=False)
    for src, dst in pairs:
        pipe.copy(src, dst, destination_db=target_db, replace=replace)
    return sum(bool(n) for n in pipe.execute())


def dump_batch(store: RedisStore, keys: list[str]) -> list[tuple[str, int, bytes | None]]:
    """(key, pttl, DUMP payload) for each key, in one round trip."""
    raw = store.client.connection_pool.connection_kwargs.get("decode_responses")
    client = store.client if not raw else _binary(store)
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.pttl(key)
        pipe.dump(key)
    replies = pipe.execute()
    return [(key, int(replies[2 * i]), replies[2 * i + 1]) for i, key in enumerate(keys)]


def restore_batch(store: RedisStore, items: list[tuple[str, int, bytes]], replace: bool) -> int:
    """RESTORE each (target, pttl, payload) in one round trip; TTLs kept."""
    import redis.exceptions as rex

    pipe = _binary(store).pipeline(transaction=False)
    for key, pttl, payload in items:
        pipe.restore(key, max(pttl, 0), payload, replace=replace)
    done = 0
    for reply in pipe.execute(raise_on_error=False):
        if isinstance(reply, rex.ResponseError):
            if "BUSYKEY" in str(reply):
                continue
            raise reply
        done += 1
    return done


SCAN_COPY = """
local page = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])
local cut, new = tonumber(ARGV[4]) + 1, ARGV[5]
local names, taken, copied = {}, {}, 0
for _, key in ipairs(page[2]) do
  local args = {key, new .. string.sub(key, cut)}
  if ARGV[7] ~= '' then table.insert(args, 'DB'); table.insert(args, ARGV[7]) end
  if ARGV[6] == '1' then table.insert(args, 'REPLACE') end
  if redis.call('COPY', unpack(args)) == 1 then
    copied = copied + 1
    if ARGV[8] == 'names' then names[#names + 1] = args[2] end
  elseif ARGV[8] == 'names' then
    -- a run killed between COPY and MIGRATE left this very copy: move it on
    if ARGV[9] == 'adopt' and redis.call('DUMP', key) == redis.call('DUMP', args[2]) then
      copied = copied + 1
      names[#names + 1] = args[2]
    else
      taken[#taken + 1] = key
    end
  end
end
return {page[1], #page[2], copied, names, taken}
"""


def copy_page(
    source: RedisStore,
    target: RedisStore,
    cursor: int,
    count: int,
    method: str,
    replace: bool,
    target_db: int | None = None,
    adopt: bool = False,
) -> tuple[int, int, int]:
    """One SCAN page copied server-side: (next cursor, keys scanned, keys copied).

    ``copy`` (one server): SCAN and COPY to the final names in one script.
    ``migrate`` (two servers): the same script COPYs to the final names on the
    source, then MIGRATE moves those copies server to server; the values never
    pass through this process. Names already taken on the source server go
    through DUMP/RESTORE instead, unless ``adopt`` (resuming a killed run) and
    the name holds an identical copy: that copy is the killed run's own, left
    between its COPY and MIGRATE, and is moved on.
    """
    import redis.exceptions as rex

    rename = method == "migrate"
    pattern = source.prefix.translate(GLOB_SPECIAL) + "*"
    args = [
        cursor,
        pattern,
        count,
        len(source.prefix),
        target.prefix,
        "1" if replace and not rename else "0",
        "" if target_db is None or rename else str(target_db),
        "names" if rename else "count",
        "adopt" if adopt else "",
    ]
    next_cursor, scanned, copied, names, taken = source.client.eval(SCAN_COPY, 0, *args)
    if not rename:
        return int(next_cursor), int(scanned), int(copied)
    moved = 0
    if names:
        kwargs = target.client.connection_pool.connection_kwargs
        auth: list[Any] = []
        if kwargs.get("password"):
            auth = ["AUTH2", kwargs.get("username") or "default", kwargs["password"]]
        migrate = [kwargs["host"], kwargs["port"], "", kwargs.get("db", 0), 10000]
        if replace:
            migrate.append("REPLACE")
        try:
            source.client.execute_command("MIGRATE", *migrate, *auth, "KEYS", *names)
            moved = len(names)
        except rex.ResponseError as e:  # BUSYKEY: taken at the target, skipped
            left = int(source.client.delete(*names))  # the copies MIGRATE did not move
            if "BUSYKEY" not in str(e):
                raise
            moved = len(names) - left
    if taken:
        dumped = dump_batch(source, list(taken))
        cut = len(source.prefix)
        items = [(target.prefix + k[cut:], pttl, data) for k, pttl, data in dumped if data]
        moved += restore_batch(target, items, replace)
    return int(next_cursor), int(scanned), moved


_BINARY: dict[int, Any] = {}


def _binary(store: RedisStore) -> Any:
    """A bytes-returning client on the same pool settings (DUMP payloads are binary)."""
    key = id(store.client)
    client = _BINARY.get(key)
    if client is None:
        import redis

        pool = store.client.connection_pool
        kwargs = {**pool.connection_kwargs, "decode_responses": False}
        client = _BINARY[key] = redis.Redis(
            connection_pool=redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)
        )
    return client


def memory_usage(store: RedisStore, keys: list[str]) -> int:
    pipe = store.client.pipeline(transaction=False)
    for key in keys:
        pipe.memory_usage(key)
    return sum(int(n or 0) for n in pipe.execute())
