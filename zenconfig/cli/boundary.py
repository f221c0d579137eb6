"""The one error boundary, and the helpers that write to the terminal.

Data goes to stdout; messages go to stderr as ``zen: error: what (where)``
followed by ``hint: next step``. A traceback only with ``--verbose``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from ..errors import ExitCode, ZenConfigError

F = TypeVar("F", bound=Callable[..., Any])
VERBOSE = {"on": False}


def new_app(name: str, help: str, **settings: Any) -> typer.Typer:
    """A Typer app with the settings every zen app shares (plain help, no locals)."""
    return typer.Typer(
        name=name,
        help=help,
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
        rich_markup_mode=None,
        **settings,
    )


def emit(output: Any) -> None:
    """Write a ``cli.output.Output``: its messages to stderr, then its data to stdout."""
    for line in output.err:
        typer.echo(line, err=True)
    for line in output.out:
        typer.echo(line)


def out(text: str = "") -> None:
    from .output import Output

    emit(Output().data(text))


def out_json(data: Any) -> None:
    from .output import Output

    emit(Output().json(data))


def note(text: str) -> None:
    from .output import Output

    emit(Output().note(text))


def warn(text: str) -> None:
    from .output import Output

    emit(Output().warn(text))


def report(error: ZenConfigError) -> None:
    from .output import error as error_output

    emit(error_output(error))


def closed_stdout() -> None:
    """The reader went away: exit quietly with ``output.BROKEN_PIPE``."""
    from .output import BROKEN_PIPE, silence_stdout

    silence_stdout()
    raise typer.Exit(BROKEN_PIPE)


def os_error(error: OSError) -> ZenConfigError:
    """An operating-system error a command could not avoid, as a message naming the file."""
    from ..text import printable

    what = error.strerror or type(error).__name__
    where = printable(str(error.filename)) if error.filename is not None else None
    return ZenConfigError(f"cannot complete the command: {what}", where=where)


def print_traceback() -> None:
    """The current traceback on stderr (``--verbose``), any secret in it masked."""
    import traceback

    from ..redact import scrub

    sys.stderr.write(scrub(traceback.format_exc()))


def boundary(fn: F) -> F:
    """Turn ZenConfigError into a message and its exit code; no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BrokenPipeError:
            closed_stdout()
        except ZenConfigError as e:
            if VERBOSE["on"]:
                print_traceback()
            report(e)
            raise typer.Exit(int(e.exit_code)) from None
        except KeyboardInterrupt:
            typer.echo("zen: interrupted", err=True)
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except OSError as e:  # disk full, read-only file system, a file that vanished
            if VERBOSE["on"]:
                print_traceback()
            error = os_error(e)
            report(error)
            raise typer.Exit(int(error.exit_code)) from None
        except Exception as e:  # the one place a stray error becomes a message
            from ..redact import scrub

            if VERBOSE["on"]:
                print_traceback()
            typer.echo(f"zen: error: internal error: {type(e).__name__}: {scrub(str(e))}", err=True)
            typer.echo("hint: rerun with --verbose for the traceback", err=True)
            raise typer.Exit(int(ExitCode.ERROR)) from None

    return wrapper  # type: ignore[return-value]


def stdin_is_tty() -> bool:
    return sys.stdin.isatty()
