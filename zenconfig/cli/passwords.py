"""Reading a new password from the user: stdin, a hidden prompt, or a reference."""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from ..errors import UsageError

if TYPE_CHECKING:
    from ..core import PasswordInput

STDIN_HELP = "Read the password from standard input (e.g. from a password manager)."
ASK_HELP = "Prompt for the password (hidden input)."
ENV_HELP = "Read the password from this environment variable when connecting."
COMMAND_HELP = "Run this command (no shell) and use what it prints, e.g. 'pass show redis/p1'."


def read(
    from_stdin: bool,
    ask: bool,
    env: str | None,
    command: str | None,
    *,
    prompt_default: bool,
    check: Callable[[], None] | None = None,
) -> PasswordInput | None:
    """The one password source the flags name (a prompt when none and asked to).

    ``check`` runs before a secret is read (from stdin or a prompt), so that a
    destination that cannot take it (no usable keyring, a name that is taken)
    fails before the user types anything.
    """
    from ..core import PasswordInput

    chosen = [
        n
        for n, v in (
            ("--password-stdin", from_stdin),
            ("--ask-password", ask),
            ("--password-env", env),
            ("--password-command", command),
        )
        if v
    ]
    if len(chosen) > 1:
        raise UsageError("choose one password source: " + " or ".join(chosen))
    if env is not None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env):
            raise UsageError(f"--password-env takes a variable name, not '{env}'")
        return PasswordInput(env=env)
    if command is not None:
        try:
            argv = shlex.split(command)
        except ValueError as e:  # an unclosed quote
            raise UsageError(f"--password-command cannot be split into words: {e}") from None
        if not argv:
            raise UsageError("--password-command is empty")
        return PasswordInput(command=argv)
    if from_stdin:
        if sys.stdin.isatty():
            raise UsageError(
                "--password-stdin reads a pipe, but standard input is a terminal "
                "(the password would be echoed)",
                hint="use --ask-password for a hidden prompt, or pipe it in, e.g. "
                "pass show redis/p1 | zen config add-project NAME --password-stdin",
            )
        if check is not None:
            check()
        secret = _first_line_of_stdin()
        if not secret:
            raise UsageError("--password-stdin read an empty password")
        return PasswordInput(secret=secret)
    if ask or prompt_default:
        if not sys.stdin.isatty() and not ask:
            raise UsageError(
                "no terminal to prompt on",
                hint="pipe the password with --password-stdin, or use --password-env VAR",
            )
        if check is not None:
            check()
        secret = _hidden_prompt()
        if not secret:
            raise UsageError("empty password")
        return PasswordInput(secret=secret)
    return None


def _hidden_prompt() -> str:
    """The password typed twice on the terminal. With no terminal at all (no /dev/tty:
    a job, a pipe with no controlling terminal), Python would read it from standard
    input, echoed, after a warning: refused instead, naming the ways that need none."""
    import getpass
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", getpass.GetPassWarning)
        try:
            secret: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        except getpass.GetPassWarning:
            raise UsageError(
                "no terminal to prompt on",
                hint="pipe the password with --password-stdin, or use --password-env VAR",
            ) from None
    return secret


MAX_PASSWORD_BYTES = 64 * 1024  # as a password command's output


def _first_line_of_stdin() -> str:
    """The first line of standard input, read as bytes and bounded."""
    stream = getattr(sys.stdin, "buffer", None)
    data = (
        stream.readline(MAX_PASSWORD_BYTES + 1)
        if stream is not None
        else (sys.stdin.readline(MAX_PASSWORD_BYTES + 1).encode("utf-8", "surrogateescape"))
    )
    if len(data) > MAX_PASSWORD_BYTES:
        raise UsageError(f"--password-stdin read more than {MAX_PASSWORD_BYTES // 1024} KiB")
    try:
        return data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise UsageError("--password-stdin read bytes that are not UTF-8 text") from None
