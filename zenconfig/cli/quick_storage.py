"""The quick path of ``zen storage threads`` and ``zen storage stats``, without Typer.

Both are read-only and run often (a prompt, a script, a glance), and Typer's
import costs about as much as the rest of the command apart from redis-py's
own import. Like ``cli.quick``, this takes only the plain forms:

    zen [--config P] [--project N] [--memory] [--local] storage threads
        [--limit N | -n N] [--since D] [--tool T] [--project N] [--json]
    zen [root options] storage stats [--project N] [--all] [--json]

(``--opt value`` or ``--opt=value``, each at most once); anything else (help,
``--exact``, ``--verbose``, a value it cannot read) returns None and the Typer
app runs the command. Output comes from ``cli.storage_output``, as the Typer
commands build it; an error is written as the Typer boundary writes it
(``zen: error: …`` and ``hint: …``) with its exit code, since running the
command again would wait for an unreachable server twice.
``tests/cli/test_quick_storage.py`` compares both paths on generated lines.
"""

from __future__ import annotations

from typing import Any

ROOT_VALUES = ("--config", "--project")
ROOT_FLAGS = ("--memory", "--local")
OPTIONS: dict[str, tuple[dict[str, str], set[str]]] = {  # options with a value, flags
    "threads": (
        {"--limit": "limit", "-n": "limit", "--since": "since", "--tool": "tool",
         "--project": "project", "-p": "project"},
        {"--json"},
    ),
    "stats": ({"--project": "project", "-p": "project"}, {"--json", "--all"}),
}  # fmt: skip


def _take(tokens: list[str], names: dict[str, str], flags: set[str]) -> dict[str, Any] | None:
    found: dict[str, Any] = {}
    rest = list(tokens)
    while rest:
        token = rest.pop(0)
        name, eq, value = token.partition("=")
        if name in names and not (name.startswith("-") and not name.startswith("--") and eq):
            if not eq:
                if not rest:
                    return None
                value = rest.pop(0)
            if not value or value.startswith("-") or names[name] in found:
                return None
            found[names[name]] = value
        elif token in flags and token not in found:
            found[token] = True
        else:
            return None
    return found


def parse(argv: list[str]) -> tuple[dict[str, Any], str, dict[str, Any]] | None:
    """(root options, command, its options), or None when not a plain form."""
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
    if len(rest) < 2 or rest[0] != "storage" or rest[1] not in OPTIONS:
        return None
    command = rest[1]
    options = _take(rest[2:], *OPTIONS[command])
    if options is None:
        return None
    if "limit" in options:
        try:
            options["limit"] = int(options["limit"])
        except ValueError:
            return None
    return root, command, options


def run(root: dict[str, Any], command: str, options: dict[str, Any]) -> tuple[Any, int]:
    """(the command's ``cli.output.Output``, exit code); raises what the use case raises."""
    from ..core.common import Context
    from . import storage_output

    ctx = Context.create(
        root.get("--config"),
        root.get("--project"),
        bool(root.get("--memory")),
        bool(root.get("--local")),
    )
    as_json = bool(options.get("--json"))
    if command == "threads":
        from ..core import threads

        since, tool = options.get("since"), options.get("tool")
        found = threads.listing(ctx, options.get("limit", 50), since, tool, options.get("project"))
        return storage_output.threads(found, as_json, bool(since or tool)), 0
    from ..core import data

    results = data.stats(ctx, options.get("project"), bool(options.get("--all")))
    return storage_output.stats(results, as_json)


def answer(argv: list[str]) -> int | None:
    """Run ``argv`` on the quick path: its exit code, or None to use the full app."""
    parsed = parse(argv)
    if parsed is None:
        return None
    from .quick import answered

    return answered(lambda: run(*parsed), fall_back=False)
