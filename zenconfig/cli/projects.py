"""``zen config`` commands about projects: add, set/get, list, show, current, use, ..."""

# No `from __future__ import annotations` here: Typer would then resolve every
# string annotation with get_type_hints when building the app (measured: 37 ms
# of each `zen config` run, against 5 ms with real annotations).

from typing import Annotated, Any

import typer

from ..errors import UsageError
from . import flags, passwords, render
from .boundary import boundary, emit, note, warn
from .state import context

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Name = Annotated[str, typer.Argument(metavar="NAME", help="Project name.", show_default=False)]


@boundary
def add_project(
    ctx: typer.Context,
    name: Name,
    url: Annotated[
        str | None,
        typer.Option(metavar="URL", help="redis[s]://[user@]host[:port][/db] (no password)."),
    ] = None,
    host: Annotated[str | None, typer.Option(metavar="HOST", help="Redis host.")] = None,
    port: Annotated[int | None, typer.Option(metavar="PORT", help="Redis port (1-65535).")] = None,
    db: Annotated[int | None, typer.Option(metavar="DB", help="Database index (0-15).")] = None,
    username: Annotated[str | None, typer.Option(metavar="USER", help="ACL user name.")] = None,
    key_prefix: Annotated[
        str | None, typer.Option(metavar="PREFIX", help="Key prefix (default zen:NAME:).")
    ] = None,
    ttl: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION", help="Conversation expiry: 7200, 90m, 2h, 3d (default 3h)."
        ),
    ] = None,
    max_turns: Annotated[
        int | None, typer.Option(metavar="N", help="Most turns per thread (default 50).")
    ] = None,
    tls: Annotated[bool | None, typer.Option("--tls/--no-tls", help="Connect with TLS.")] = None,
    tls_ca_file: Annotated[
        str | None, typer.Option(metavar="FILE", help="CA bundle for TLS.")
    ] = None,
    tls_cert_file: Annotated[
        str | None, typer.Option(metavar="FILE", help="Client certificate (mutual TLS).")
    ] = None,
    tls_key_file: Annotated[
        str | None, typer.Option(metavar="FILE", help="Client key (mutual TLS).")
    ] = None,
    tls_insecure: Annotated[
        bool, typer.Option("--tls-insecure", help="Do NOT verify the server certificate.")
    ] = False,
    tls_no_check_hostname: Annotated[
        bool, typer.Option("--tls-no-check-hostname", help="Do NOT check the host name.")
    ] = False,
    connect_timeout: Annotated[
        str | None, typer.Option(metavar="DURATION", help="Connect timeout (0.5s).")
    ] = None,
    socket_timeout: Annotated[
        str | None, typer.Option(metavar="DURATION", help="Command timeout (5s).")
    ] = None,
    max_connections: Annotated[
        int | None, typer.Option(metavar="N", help="Pool size (10).")
    ] = None,
    health_check_interval: Annotated[
        str | None,
        typer.Option(metavar="DURATION", help="PING a connection idle this long (30s; 0: never)."),
    ] = None,
    mode: Annotated[
        str | None, typer.Option(metavar="MODE", help="standalone, sentinel or cluster.")
    ] = None,
    sentinel: Annotated[
        list[str] | None, typer.Option(metavar="HOST:PORT", help="Sentinel HOST:PORT (repeat).")
    ] = None,
    service_name: Annotated[
        str | None, typer.Option(metavar="NAME", help="Sentinel master name.")
    ] = None,
    node: Annotated[
        list[str] | None, typer.Option(metavar="HOST:PORT", help="Cluster node HOST:PORT (repeat).")
    ] = None,
    client_name: Annotated[
        str | None, typer.Option(metavar="NAME", help="CLIENT SETNAME value.")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help=passwords.STDIN_HELP)
    ] = False,
    ask_password: Annotated[bool, typer.Option("--ask-password", help=passwords.ASK_HELP)] = False,
    password_env: Annotated[
        str | None, typer.Option(metavar="VAR", help=passwords.ENV_HELP)
    ] = None,
    password_command: Annotated[
        str | None, typer.Option(metavar="CMD", help=passwords.COMMAND_HELP)
    ] = None,
    use: Annotated[bool, typer.Option("--use", help="Make it the default project.")] = False,
    test: Annotated[bool, typer.Option("--test", help="Then run test-connection on it.")] = False,
) -> None:
    """Add a project: a named Redis connection."""
    from ..core import entries
    from ..core import projects as core

    settings: dict[str, Any] = entries.parse_url(url) if url else {}
    if url and (host or port is not None or db is not None or username):
        given_too = [f for f, v in (("--host", host), ("--port", port), ("--db", db),
                                    ("--username", username)) if v is not None]  # fmt: skip
        raise UsageError(f"--url and {', '.join(given_too)} both set the address; give one")
    if mode is None and sentinel:
        mode = "sentinel"  # --sentinel says it
    if mode is None and node:
        mode = "cluster"
    origins = {**flags.FLAGS, **dict.fromkeys(settings, "--url")}
    given = {
        "host": host,
        "port": port,
        "db": db,
        "username": username,
        "key_prefix": key_prefix,
        "conversation_ttl_seconds": flags.seconds(ttl, "--ttl"),
        "max_turns": max_turns,
        "tls.enabled": tls,
        "tls.ca_file": tls_ca_file,
        "tls.cert_file": tls_cert_file,
        "tls.key_file": tls_key_file,
        "tls.verify": False if tls_insecure else None,
        "tls.check_hostname": False if tls_no_check_hostname else None,
        "timeouts.connect_seconds": flags.duration(connect_timeout, "--connect-timeout"),
        "timeouts.socket_seconds": flags.duration(socket_timeout, "--socket-timeout"),
        "pool.max_connections": max_connections,
        "pool.health_check_interval_seconds": flags.seconds(
            health_check_interval, "--health-check-interval", zero=True
        ),
        "mode": mode,
        "service_name": service_name,
        "client_name": client_name,
        "sentinels": flags.hostport(sentinel, "--sentinel") or None,
        "nodes": flags.hostport(node, "--node") or None,
    }
    settings.update({k: v for k, v in given.items() if v is not None})
    origins.update({k: flags.FLAGS[k] for k, v in given.items() if v is not None})  # flags win
    from ..core import passwords as secrets

    c = context(ctx)
    secret = passwords.read(
        password_stdin,
        ask_password,
        password_env,
        password_command,
        prompt_default=False,
        check=lambda: secrets.check_destination(c, name, new=True),
    )
    conn = core.add_project(c, name, settings, secret, use=use, origins=origins)
    note(f"added project '{name}' ({conn.address()}, prefix {conn.key_prefix})")
    if use:
        note(f"'{name}' is now the default project")
    for warning in conn.tls_warnings():
        warn(warning)
    if test:
        from ..core import views

        [report] = views.test_connections(context(ctx), name)
        failure = report.failure
        if failure is None:
            note(f"test-connection: ok ({report.server.get('latency_ms', '?')} ms)")
            return
        warn(f"test-connection failed at {failure.name}: {failure.detail} (the project is saved)")
        from .health import exit_code

        raise typer.Exit(exit_code([report]))


@boundary
def set_(
    ctx: typer.Context,
    name: Name,
    field: Annotated[
        str, typer.Argument(metavar="FIELD", help="Dotted field, e.g. port or tls.enabled.")
    ],
    value: Annotated[
        str, typer.Argument(metavar="VALUE", help="New value; 'null' clears; JSON for lists.")
    ],
) -> None:
    """Change one field of a project (validated before it is saved)."""
    from ..core import projects as core

    stored = core.set_field(context(ctx), name, field, value)
    note(f"{name}.{field} = {render.value(stored)}")


@boundary
def get(
    ctx: typer.Context,
    name: Name,
    field: Annotated[
        str, typer.Argument(metavar="FIELD", help="Dotted field, e.g. port or tls.enabled.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Print one field of a project (defaults included)."""
    from ..core import projects as core
    from . import output

    emit(output.field_value(name, field, core.get_field(context(ctx), name, field), as_json))


@boundary
def rename_project(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(metavar="OLD", help="Current name.")],
    new: Annotated[str, typer.Argument(metavar="NEW", help="New name.")],
) -> None:
    """Rename a project; its keyring entry and the default follow."""
    from ..core import projects as core

    for line in core.rename_project(context(ctx), old, new):
        note(line)
    note(f"renamed '{old}' to '{new}' (the key prefix is unchanged)")


@boundary
def remove_project(
    ctx: typer.Context,
    name: Name,
    force: Annotated[
        bool, typer.Option("--force", help="Also remove the default project.")
    ] = False,
    keep_secret: Annotated[
        bool, typer.Option("--keep-secret", help="Leave its keyring entry.")
    ] = False,
) -> None:
    """Remove a project and its keyring entry (stored data is not touched)."""
    from ..core import projects as core

    for line in core.remove_project(context(ctx), name, force=force, keep_secret=keep_secret):
        note(line)
    note(f"removed project '{name}'")


@boundary
def set_password(
    ctx: typer.Context,
    name: Name,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help=passwords.STDIN_HELP)
    ] = False,
    ask_password: Annotated[
        bool, typer.Option("--ask-password", help="Prompt for the password, hidden (the default).")
    ] = False,
    password_env: Annotated[
        str | None, typer.Option(metavar="VAR", help=passwords.ENV_HELP)
    ] = None,
    password_command: Annotated[
        str | None, typer.Option(metavar="CMD", help=passwords.COMMAND_HELP)
    ] = None,
    clear: Annotated[
        bool,
        typer.Option("--clear", help="No password (no AUTH); deletes this file's keyring entry."),
    ] = False,
) -> None:
    """Replace a project's password, or where it comes from (prompts by default)."""
    from ..core import passwords as core

    if clear:
        if password_stdin or ask_password or password_env or password_command:
            raise UsageError("--clear takes no password source")
        source, notes = core.set_password(context(ctx), name, None)
    else:
        c = context(ctx)
        secret = passwords.read(
            password_stdin,
            ask_password,
            password_env,
            password_command,
            prompt_default=True,
            check=lambda: core.check_destination(c, name, new=False),
        )
        assert secret is not None
        source, notes = core.set_password(c, name, secret)
    for line in notes:
        note(line)
    note(f"password of '{name}' {'cleared' if clear else 'updated'} ({source})")
