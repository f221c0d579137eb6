"""Redis errors as zenconfig errors: the one classifier.

Unreachable (refused, timed out, DNS) becomes ``StorageUnavailableError`` (the
fallback may apply); wrong credentials, ACL denials and failed TLS
verification are hard errors, never "unavailable".
"""

from __future__ import annotations

from ...errors import StorageUnavailableError, ZenConfigError


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
