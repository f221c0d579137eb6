"""add-project's flags: which field each sets (for messages), and HOST:PORT lists."""

from __future__ import annotations

from typing import Any

from ..errors import UsageError
from ..text import digits

FLAGS = {  # dotted field -> the add-project flag that sets it (for messages)
    "host": "--host",
    "port": "--port",
    "db": "--db",
    "username": "--username",
    "key_prefix": "--key-prefix",
    "conversation_ttl_seconds": "--ttl",
    "max_turns": "--max-turns",
    "tls.enabled": "--tls",
    "tls.ca_file": "--tls-ca-file",
    "tls.cert_file": "--tls-cert-file",
    "tls.key_file": "--tls-key-file",
    "tls.verify": "--tls-insecure",
    "tls.check_hostname": "--tls-no-check-hostname",
    "timeouts.connect_seconds": "--connect-timeout",
    "timeouts.socket_seconds": "--socket-timeout",
    "pool.max_connections": "--max-connections",
    "pool.health_check_interval_seconds": "--health-check-interval",
    "mode": "--mode",
    "service_name": "--service-name",
    "client_name": "--client-name",
    "sentinels": "--sentinel",
    "nodes": "--node",
}


def hostport(values: list[str] | None, flag: str) -> list[dict[str, Any]]:
    result = []
    for item in values or []:
        host, sep, port = item.rpartition(":")
        if not sep or not host or not digits(port):
            raise UsageError(f"{flag} takes HOST:PORT, not '{item}'")
        result.append({"host": host.strip("[]"), "port": int(port)})
    return result


def duration(value: str | None, flag: str) -> float | None:
    """A timeout flag (``0.5``, ``2s``, ``1m``) as seconds, read as ``set`` reads the
    same field; None when not given."""
    if value is None:
        return None
    from ..durations import DurationError, parse

    try:
        return parse(value)
    except DurationError as e:
        raise UsageError(f"{flag} {value}: {e}") from None


def seconds(value: str | None, flag: str, zero: bool = False) -> int | None:
    """A duration flag (``7200``, ``90m``, ``2h``) as whole seconds; None when not given."""
    if value is None:
        return None
    from ..durations import DurationError, parse_seconds

    if zero and value.strip() == "0":
        return 0
    try:
        return parse_seconds(value)
    except DurationError as e:
        raise UsageError(f"{flag} {value}: {e}") from None
