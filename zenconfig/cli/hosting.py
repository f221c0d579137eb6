"""Mounting ``zen config`` and ``zen storage`` in a host CLI, Click or Typer.

    from zenconfig.cli import mount
    mount(cli, root_options=True)   # cli: a click.Group, or a typer.Typer app

The mounted groups keep zenconfig's messages and exit codes (an unknown
project exits 1 with its message, an unreachable server 4, a keyring failure
5; no traceback). With ``root_options`` the host group also gets ``--project
NAME``, ``--memory``, ``--local`` and ``--config PATH``; they choose the store
for the mounted commands and for every ``open_storage()`` /
``get_storage_backend()`` call in that process.

Typer >= 0.26 carries its own copy of Click, so a Typer app's commands are not
Click commands: for a Click host each group is mounted as a thin Click command
that hands its arguments to zenconfig's own app. This is the only module that
imports click, and only the host's.
"""

from __future__ import annotations

import sys
from typing import Any

ROOT_OPTIONS = (
    ("--project", "NAME", "Use this zenconfig project (env ZEN_PROJECT)."),
    ("--config", "PATH", "zenconfig config file (env ZEN_CONFIG)."),
    ("--memory", None, "Keep conversations in memory (env ZEN_STORAGE_TYPE=memory)."),
    ("--local", None, "Use the local store (env ZEN_STORAGE_TYPE=local)."),
)
GROUPS = {
    "config": "Manage zen's storage configuration: projects, the default, passwords.",
    "storage": "Look at stored conversations: threads, stats, export/import, copy.",
}


def mount(host: Any, *, root_options: bool = False) -> None:
    """Add the ``config`` and ``storage`` groups (and the root options) to ``host``."""
    import typer

    if isinstance(host, typer.Typer):
        _mount_typer(host, root_options)
    else:
        _mount_click(host, root_options)


# -- a Click host ---------------------------------------------------------------


def _mount_click(group: Any, root_options: bool) -> None:
    import click

    if not isinstance(group, click.Group):
        raise TypeError(f"mount() takes a click.Group or a typer.Typer, not {type(group)!r}")
    chosen: dict[str, Any] = {}
    if root_options:
        taken = {opt for param in group.params for opt in getattr(param, "opts", ())}
        for flag, metavar, help_text in ROOT_OPTIONS:
            if flag in taken:
                raise ValueError(f"the host group already has an option {flag}")
            group.params.append(
                click.Option(
                    [flag],
                    metavar=metavar,
                    is_flag=metavar is None,
                    expose_value=False,
                    help=help_text,
                    callback=_remember_click(chosen, flag),
                )
            )
    for name, summary in GROUPS.items():
        group.add_command(_bridge(click, name, summary, chosen, root_options), name)


def _remember_click(chosen: dict[str, Any], flag: str) -> Any:
    def callback(ctx: Any, param: Any, value: Any) -> Any:
        chosen[flag] = value
        if all(f in chosen for f, _, _ in ROOT_OPTIONS):
            _configure(chosen)
        return value

    return callback


def _configure(chosen: dict[str, Any]) -> None:
    from ..core.common import configure_process

    configure_process(
        chosen.get("--config"),
        chosen.get("--project"),
        bool(chosen.get("--memory")),
        bool(chosen.get("--local")),
    )


def _bridge(click: Any, name: str, summary: str, chosen: dict[str, Any], root: bool) -> Any:
    """A Click command that runs ``zen <name> ARGS…`` in zenconfig's own app."""

    def run(args: tuple[str, ...]) -> None:
        ctx = click.get_current_context()
        argv: list[str] = []
        if root:
            for flag, metavar, _ in ROOT_OPTIONS:
                value = chosen.get(flag)
                if metavar is None and value:
                    argv.append(flag)
                elif metavar is not None and value is not None:
                    argv += [flag, value]
        from .root import app

        prog = ctx.parent.command_path if ctx.parent is not None else ctx.info_name
        try:
            app(args=[*argv, name, *args], prog_name=prog, standalone_mode=True)
        except SystemExit as e:
            if e.code not in (0, None):
                sys.stdout.flush()
                raise
        return None

    return click.Command(
        name,
        callback=run,
        params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
        help=summary,
        short_help=summary,
        add_help_option=False,
        context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    )


# -- a Typer host ---------------------------------------------------------------


def _mount_typer(app: Any, root_options: bool) -> None:
    from .config import config_app
    from .storage import storage_app

    app.add_typer(config_app, name="config")
    app.add_typer(storage_app, name="storage")
    if not root_options:
        return
    if app.registered_callback is not None:
        raise ValueError(
            "this Typer app has a callback already; mount on its Click group instead: "
            "group = typer.main.get_command(app); mount(group, root_options=True)"
        )
    from .root import root

    def callback(ctx: Any, **kwargs: Any) -> None:
        root(ctx, **kwargs)
        opts = kwargs
        _configure(
            {
                "--config": opts.get("config"),
                "--project": opts.get("project"),
                "--memory": opts.get("memory"),
                "--local": opts.get("local"),
            }
        )

    import inspect

    callback.__signature__ = inspect.signature(root)  # type: ignore[attr-defined]
    callback.__annotations__ = dict(root.__annotations__)
    callback.__doc__ = app.info.help or root.__doc__
    app.callback()(callback)
