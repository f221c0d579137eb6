"""The root ``zen`` app: global options, then ``zen config``."""

# No `from __future__ import annotations` here: Typer would then resolve every
# string annotation with get_type_hints when building the app (measured: 37 ms
# of each `zen config` run, against 5 ms with real annotations).

from typing import Annotated, Any

import typer

from ..errors import ExitCode
from .boundary import VERBOSE, new_app
from .config import config_app
from .state import Options, remember
from .storage import storage_app

app = new_app(
    "zen",
    "zen storage configuration and data tools.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(config_app, name="config")
app.add_typer(storage_app, name="storage")


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="PATH",
            help="Config file (env ZEN_CONFIG; default ~/.zen-cli/config.json).",
        ),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option("--project", metavar="NAME", help="Use this project (env ZEN_PROJECT)."),
    ] = None,
    memory: Annotated[
        bool,
        typer.Option("--memory", help="Use the in-memory store (env ZEN_STORAGE_TYPE=memory)."),
    ] = False,
    local: Annotated[
        bool,
        typer.Option("--local", help="Use the local store (env ZEN_STORAGE_TYPE=local)."),
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Show tracebacks.")] = False,
) -> None:
    """zen: storage configuration for the zen assistant."""
    VERBOSE["on"] = verbose
    remember(ctx, Options(config, project, memory, local, verbose))


def run() -> None:
    """Run the Typer app on ``sys.argv`` (see ``zenconfig.cli.main``).

    Usage errors are said the way every other error is (``zen: error: …`` and a
    hint, exit 2); Ctrl-C, also at a prompt, is ``zen: interrupted`` (130).
    """
    import os
    import sys

    from typer._click import exceptions as click

    from .output import Output

    name = os.path.basename(sys.argv[0]) if sys.argv else "zen"
    prog = "zenconfig" if name.startswith("zenconfig") else "zen"
    stdout = sys.stdout
    try:
        code = app(prog_name=prog, standalone_mode=False)
    except BrokenPipeError:  # while Typer itself wrote (help, usage)
        from .boundary import closed_stdout

        try:
            closed_stdout()
        except typer.Exit as e:
            sys.exit(e.exit_code)
    except SystemExit as e:
        # Typer met the closed pipe itself: it wrapped stdout (to silence the flush at
        # exit) and exits 1; a closed stdout is 141 everywhere else
        if e.code == 1 and sys.stdout is not stdout:
            from .output import BROKEN_PIPE

            sys.exit(BROKEN_PIPE)
        raise
    except click.NoArgsIsHelpError as e:
        e.show()
        sys.exit(e.exit_code)
    except click.UsageError as e:
        where = e.ctx.command_path if e.ctx is not None else prog
        output = Output()
        output.err.append(f"zen: error: {e.format_message()}")
        output.err.append(f"hint: see: {where} --help")
        _write(output)
        sys.exit(int(ExitCode.USAGE))
    except typer.Abort:
        sys.stderr.write("zen: interrupted\n")
        sys.exit(130)
    except click.ClickException as e:
        output = Output()
        output.err.append(f"zen: error: {e.format_message()}")
        _write(output)
        sys.exit(e.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


def _write(output: Any) -> None:
    import sys

    for line in output.err:
        sys.stderr.write(line + "\n")
