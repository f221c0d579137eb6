"""``zen config test-connection`` and ``zen config doctor``."""

# No `from __future__ import annotations`: see cli/root.py.

from typing import Annotated, Any

import typer

from ..errors import ExitCode
from .boundary import boundary, out, out_json
from .render import table
from .state import context

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
TimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        help="Per-stage timeout (default: the project's connect timeout).",
    ),
]
MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


# a test-connection result and its exit code, most serious first
KIND_EXIT = (
    ("refused", ExitCode.INVALID_CONFIG),  # a password command the file may not run
    ("config", ExitCode.INVALID_CONFIG),  # a TLS file of the project that cannot be used
    ("unreachable", ExitCode.STORAGE_UNREACHABLE),
    ("error", ExitCode.STORAGE_UNREACHABLE),
    ("secret", ExitCode.KEYRING_UNAVAILABLE),
)


def exit_code(reports: list[Any]) -> int:
    """The exit code of test-connection (and add-project --test) for these reports."""
    kinds = {r.kind for r in reports}
    return next((int(code) for kind, code in KIND_EXIT if kind in kinds), 0)


@boundary
def test_connection(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(metavar="NAME", help="Project (default: the resolved one).")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Test every project, concurrently.")] = False,
    timeout: TimeoutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Connect to a project stage by stage (never falls back to memory)."""
    from ..core import views as core

    reports = core.test_connections(context(ctx), name, every, timeout)
    if as_json:
        out_json([r.as_dict() for r in reports])
    else:
        for report in reports:
            failure = report.failure
            head = "ok" if failure is None else f"FAILED at {failure.name}"
            out(f"{report.project} ({report.address}): {head}")
            rows = [
                ["  " + s.name, "ok" if s.ok else "FAIL", f"{s.seconds * 1000:.1f} ms", s.detail]
                for s in report.stages
            ]
            out(table(["  STAGE", "RESULT", "TIME", "DETAIL"], rows))
            if report.server.get("version"):
                out(f"  server: Redis {report.server['version']}, role {report.server['role']}")
    code = exit_code(reports)
    if code:
        raise typer.Exit(code)


@boundary
def doctor(ctx: typer.Context, timeout: TimeoutOpt = None, as_json: JsonOpt = False) -> None:
    """Check the file, permissions, keyring, every connection, .zen-project and env vars."""
    from ..core import views as core

    findings, result = core.doctor(context(ctx), timeout)
    if as_json:
        out_json(result)
    else:
        for f in findings:
            out(f"{MARK[f.status]}  {f.check}: {f.detail}")
        out(f"\n{result['ok']} ok, {result['warn']} warnings, {result['fail']} failures")
    if result["fail"]:
        raise typer.Exit(int(ExitCode.ERROR))
