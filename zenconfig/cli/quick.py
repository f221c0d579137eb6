"""The quick path: the commands a shell prompt or a script runs most, without Typer.

``zen config current [--short] [--json]``, ``list [--json]``, ``show [NAME]
[--json]``, ``get NAME FIELD [--json]`` and ``use NAME|--memory|--local
[--here]``, with the root options ``--config``, ``--project``, ``--memory``
and ``--local``. Importing Typer and building the app costs more than the rest
of such a command, so ``main`` tries this first.

It takes only the plain forms; anything else (help, an option it does not
know, ``--verbose``) returns None and the full Typer app runs the command
instead. An error is reported as the app reports it (``cli.output.error``,
the same exit code), never by running the command twice. The
answers are the same by construction: both paths call the same use cases and
build their output with ``cli.output``; ``tests/cli/test_quick.py`` compares
them on generated command lines, environments and files.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT_VALUES = ("--config", "--project")
ROOT_FLAGS = ("--memory", "--local")
COMMANDS: dict[str, tuple[set[str], range]] = {  # flags it takes, how many arguments
    "current": ({"--json", "--short"}, range(0, 1)),
    "list": ({"--json"}, range(0, 1)),
    "show": ({"--json"}, range(0, 2)),
    "get": ({"--json"}, range(2, 3)),
    "use": ({"--memory", "--local", "--here"}, range(0, 2)),
}


def parse(argv: list[str]) -> tuple[dict[str, Any], str, set[str], list[str]] | None:
    """(root options, command, its flags, its arguments), or None when not a plain form."""
    root: dict[str, Any] = {}
    rest = list(argv)
    while rest and rest[0].startswith("--"):
        token = rest.pop(0)
        name, eq, value = token.partition("=")
        if name in ROOT_VALUES and name not in root:
            if not eq:
                if not rest:
                    return None
                value = rest.pop(0)
            if not value or value.startswith("-"):
                return None
            root[name] = value
        elif name in ROOT_FLAGS and not eq and name not in root:
            root[name] = True
        else:
            return None
    if len(rest) < 2 or rest[0] != "config" or rest[1] not in COMMANDS:
        return None
    command, tokens = rest[1], rest[2:]
    allowed, arity = COMMANDS[command]
    flags = {t for t in tokens if t.startswith("-")}
    args = [t for t in tokens if not t.startswith("-")]
    repeated = len(flags) != len([t for t in tokens if t.startswith("-")])
    if repeated or not flags <= allowed or len(args) not in arity or "" in args:
        return None
    return root, command, flags, args


def run(root: dict[str, Any], command: str, flags: set[str], args: list[str]) -> Any:
    """The command's ``cli.output.Output`` (raises what the use case raises)."""
    from ..core.common import Context
    from . import output

    ctx = Context.create(
        root.get("--config"),
        root.get("--project"),
        bool(root.get("--memory")),
        bool(root.get("--local")),
    )
    as_json = "--json" in flags
    if command == "use":
        from ..core import projects

        name = args[0] if args else None
        here = "--here" in flags
        result = projects.use(
            ctx, name, memory="--memory" in flags, here=here, local="--local" in flags
        )
        where = projects.local_database(ctx) if name is None and result == "local" else None
        return output.used(result, name, here, where)
    from ..core import views

    if command == "current":
        return output.current(views.current(ctx), as_json, "--short" in flags)
    if command == "list":
        return output.listing(views.list_projects(ctx), as_json)
    if command == "show":
        return output.showing(views.show(ctx, args[0] if args else None), as_json)
    from ..core import projects

    return output.field_value(args[0], args[1], projects.get_field(ctx, *args), as_json)


def answer(argv: list[str]) -> int | None:
    """Run ``argv`` on the quick path: its exit code, or None to use the full app."""
    parsed = parse(argv)
    if parsed is None:
        return None
    return answered(lambda: (run(*parsed), 0), fall_back=True)


def answered(call: Callable[[], tuple[Any, int]], fall_back: bool) -> int | None:
    """Write what a quick command made (``call``: its ``Output`` and exit code) and return
    the code: a ``ZenConfigError`` as its message and exit code, Ctrl-C as 130; with
    ``fall_back``, any other error sends the command to the full app (None)."""
    from ..errors import ZenConfigError
    from .output import deliver, error

    try:
        result, code = call()
    except ZenConfigError as e:
        return deliver(error(e), int(e.exit_code))
    except KeyboardInterrupt:
        sys.stderr.write("zen: interrupted\n")
        return 130
    except Exception:
        if not fall_back:
            raise
        return None
    return deliver(result, code)
