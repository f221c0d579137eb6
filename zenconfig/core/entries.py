"""A new project entry from what the user typed: ``--url`` parsed (never a
password), and validation problems said in terms of the flags that gave them."""

from __future__ import annotations

import re
from typing import Any

from .. import durations
from ..errors import ConfigError, UsageError, ZenConfigError
from ..text import digits

_SECRET_PARAM = re.compile(r"pass|pwd|auth|secret|token|key|cred", re.IGNORECASE)


_HOST = re.compile(r"\A(?:[A-Za-z0-9_.-]+|[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?)\Z")


def parse_url(url: str) -> dict[str, Any]:
    """``redis[s]://[user@]host[:port][/db]`` as field values; never a password."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    try:
        parts = urlsplit(url)
        hostname = unquote(parts.hostname) if parts.hostname else parts.hostname
    except ValueError as e:  # "redis://[::1/0": an unclosed bracket
        raise UsageError(f"--url is not a URL: {e}") from None
    if parts.scheme not in ("redis", "rediss"):
        raise UsageError(f"--url must start with redis:// or rediss://, not '{parts.scheme}://'")
    secret_params = [
        key
        for key, _ in parse_qsl(parts.query, keep_blank_values=True)
        if _SECRET_PARAM.search(key)
    ]
    if parts.password is not None or secret_params or parts.fragment:
        where = f" (query parameter '{secret_params[0]}')" if secret_params else ""
        raise UsageError(
            f"--url contains a password{where}; passwords are never taken from the command "
            "line (shell history, ps)",
            hint="drop it from the URL and use --password-stdin, --ask-password, "
            "--password-env VAR or --password-command CMD",
        )
    if parts.query:
        raise UsageError(
            "--url takes no query parameters (they would be ignored)",
            hint="give the settings as flags, e.g. --db N, --socket-timeout S",
        )
    values: dict[str, Any] = {}
    try:
        port = parts.port
    except ValueError as e:
        raise UsageError(f"--url has a bad port: {e}") from e
    if hostname:
        if not _HOST.match(hostname):
            raise UsageError(
                f"--url host '{hostname}' is not a host name or address",
                hint="redis[s]://[user@]host[:port][/db]; other settings go in flags",
            )
        values["host"] = hostname
    if port is not None:
        values["port"] = port
    if parts.username:
        user = unquote(parts.username)
        if ":" in user:  # "u%3Apw": a password hidden in the user part
            raise UsageError(
                "--url user name contains ':', which would put a password in the file",
                hint="drop it from the URL and use --password-stdin or --ask-password",
            )
        values["username"] = user
    db = parts.path.strip("/")
    if db:
        if not digits(db):
            raise UsageError(f"--url database must be a number, not '{db}'")
        values["db"] = int(db)
    if parts.scheme == "rediss":
        values["tls.enabled"] = True
    return values


def explain(
    error: ConfigError, name: str, settings: dict[str, Any], origins: dict[str, str]
) -> ZenConfigError:
    """A new project's invalid settings, said in terms of what the user typed.

    ``origins`` maps a dotted field to the flag that gave it (``port`` ->
    ``--port``); a problem with such a field is a usage error naming the flag.
    The file itself is fine, so the hint never says to edit it.
    """
    from ..text import printable

    prefix = f"storage.redis.connections.{name}."
    named, other = [], []
    for line in error.details:
        dotted, _, problem = line.strip().partition(": ")
        field = dotted[len(prefix) :] if dotted.startswith(prefix) else None
        parts = re.split(r"[.\[]", field) if field else []
        known = next(
            (
                ".".join(parts[:n])
                for n in range(len(parts), 0, -1)
                if ".".join(parts[:n]) in origins
            ),
            None,
        )
        if known is None:
            other.append(line)
            continue
        flag, value = origins[known], settings.get(known)
        scalar = isinstance(value, str | int | float) and not isinstance(value, bool)
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and known.endswith("_seconds")
            and value >= 60  # 90 -> 1m 30s; 0 and 0.5 stay as typed
        ):
            value = durations.human(value)  # as typed: 99d, not 8553600
        shown = f" {printable(str(value), 80)}" if scalar and flag != "--url" else ""
        if field != known or flag == "--url":
            shown += f" ({field})"
        named.append(f"{flag}{shown}: {problem}")
    if named and not other:
        head, *rest = named
        return UsageError(head, details=["  " + r for r in rest], hint="nothing was written")
    return ConfigError(
        f"project '{name}' cannot be added: {len(error.details)} problem(s)",
        details=["  " + n for n in named] + other,
        hint="nothing was written; change the flags above",
    )
