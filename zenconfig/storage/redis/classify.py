"""Redis errors as zenconfig errors: the one classifier (the store, the first
contact, test-connection and data moving all use it).

- unreachable (refused, timed out, DNS, no master, no Cluster node): a
  ``StorageUnavailableError``; when opening, the fallback may apply;
- a write sent without an answer: ``WriteUnknownError`` (it may or may not be
  stored; it is never retried);
- a write the server refused (out of memory, a read-only replica):
  ``WriteRefusedError`` (nothing was stored);
- a server that runs no command now (a long script, loading its data):
  unavailable, and a write was not done;
- no free connection in the process's pool: an error (nothing was sent), with
  the setting to raise;
- wrong credentials, an ACL denial, a failed TLS verification, a missing
  database: hard errors with a hint, never "unavailable".
"""

from __future__ import annotations

from ...errors import (
    StorageUnavailableError,
    WriteRefusedError,
    WriteUnknownError,
    ZenConfigError,
)

# the server refused the command before running it: a script is running past its time
# limit, or the dataset is still loading (redis-py raises the latter as a ConnectionError)
NOT_SERVING = ("BUSY ", "LOADING ")
# a pool with no connection to give: redis-py's (at once) and the waiting one (timed out)
POOL_FULL = ("Too many connections", "No connection available")
NOT_SENT = ("connecting", "connection refused", "no sentinel knows", "no cluster node answered")


# Redis 7 refuses a script's key named in ARGV that the ACL does not allow with
# a plain error reply (no NOPERM): the same denial, said differently.
_SCRIPT_ACL = "can't access at least one of the keys"


def _hard(
    error: BaseException, name: str, where: str, prefix: str | None, db: int | None
) -> ZenConfigError | None:
    import redis.exceptions as rex

    text = str(error)
    if "NOAUTH" in text or "Authentication required" in text:
        return ZenConfigError(
            f"Redis for project '{name}' requires a password and the project has none",
            where=where,
            hint=f"store one: zen config set-password {name}",
        )
    if isinstance(error, rex.AuthenticationError | rex.AuthorizationError) or "WRONGPASS" in text:
        return ZenConfigError(
            f"Redis refused the credentials of project '{name}': {text}",
            where=where,
            hint=f"check the user and password: zen config show {name}; "
            f"zen config set-password {name}",
        )
    if isinstance(error, rex.NoPermissionError) or "NOPERM" in text or _SCRIPT_ACL in text:
        own = f" (prefix {prefix!r})" if prefix is not None else ""
        return ZenConfigError(
            f"the Redis ACL denies project '{name}'{own}: {text}",
            where=where,
            hint="allow the user the project's key prefix (e.g. ~zen:NAME:*) and commands",
        )
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text.lower():
        return ZenConfigError(
            f"TLS verification of the Redis server failed for project '{name}': {text}",
            where=where,
            hint="check tls.ca_file and the server's certificate/host name",
        )
    if "DB index is out of range" in text or "invalid DB index" in text:
        return ZenConfigError(
            f"Redis for project '{name}' has no database {db if db is not None else '?'} "
            f"(SELECT failed: {text})",
            where=where,
        )
    return None


def redis_errors() -> tuple[type[BaseException], ...]:
    """Everything redis-py raises (``RedisClusterException`` is not a ``RedisError``)."""
    import redis.exceptions as rex

    return (rex.RedisError, rex.RedisClusterException, OSError)


def translate(
    error: BaseException,
    name: str,
    where: str,
    *,
    write: bool = False,
    prefix: str | None = None,
    db: int | None = None,
) -> ZenConfigError:
    """A redis-py (or socket) error as ours. ``write``: the command was a write,
    so a lost answer makes its outcome unknown."""
    import redis.exceptions as rex

    if isinstance(error, ZenConfigError):
        return error
    hard = _hard(error, name, where, prefix, db)
    if hard is not None:
        return hard
    text = str(error)
    if text.startswith("OOM") or "used memory > 'maxmemory'" in text:
        return WriteRefusedError(
            f"Redis for project '{name}' refused the write: out of memory (maxmemory reached)",
            where=where,
            hint="free memory on the server, raise maxmemory or choose an eviction policy",
        )
    if isinstance(error, rex.ReadOnlyError) or "READONLY" in text or "now a slave" in text:
        return WriteRefusedError(
            f"Redis for project '{name}' refused the write: the server is a read-only replica",
            where=where,
            hint="the master changed or the project points at a replica; try again",
        )
    if isinstance(error, rex.BusyLoadingError) or text.startswith(NOT_SERVING):
        return StorageUnavailableError(
            f"Redis for project '{name}' is not serving commands now (nothing was done): {text}",
            where=where,
            hint="try again once it has loaded its data or its running script has ended",
        )
    if isinstance(error, rex.ConnectionError) and any(m in text for m in POOL_FULL):
        return ZenConfigError(
            f"every connection of project '{name}' in this process is in use "
            f"(nothing was sent): {text}",
            where=where,
            hint=f"raise the pool: zen config set {name} pool.max_connections N",
        )
    unreachable = isinstance(
        error,
        rex.ConnectionError
        | rex.TimeoutError
        | rex.ClusterDownError
        | rex.TryAgainError
        | rex.SlotNotCoveredError
        | OSError,
    ) or (isinstance(error, rex.RedisClusterException) and "connect" in text.lower())
    if unreachable:
        if write and not any(marker in text.lower() for marker in NOT_SENT):
            return WriteUnknownError(
                f"Redis for project '{name}' did not answer a write: it may or may not "
                f"have been stored ({text})",
                where=where,
                hint="read it back before writing it again",
            )
        return StorageUnavailableError(
            f"Redis for project '{name}' is unreachable: {text}", where=where
        )
    return ZenConfigError(f"Redis error for project '{name}': {text}", where=where)
