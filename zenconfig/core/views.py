"""Use cases that read: list, show, current, test-connection, doctor."""

from __future__ import annotations

from typing import Any

from .. import spec
from ..errors import UsageError, ZenConfigError
from .common import Context, password_summary, require_entry


def list_projects(ctx: Context) -> list[dict[str, Any]]:
    """One row per project, from the checked document (no model: this runs often)."""
    doc = ctx.load().document
    storage = spec.storage(doc)
    active = storage.type == "redis"
    rows = []
    for name, conn in sorted(spec.projects(doc).items()):
        ref = conn.password
        rows.append(
            {
                "name": name,
                "default": name == storage.default,
                "active": active and name == storage.default,
                "mode": conn.mode,
                "address": conn.address(),
                "host": conn.host,
                "port": conn.port,
                "db": conn.db,
                "key_prefix": conn.key_prefix,
                "conversation_ttl_seconds": conn.conversation_ttl_seconds,
                "tls": conn.tls.enabled,
                "password_source": ref["source"] if ref else None,
                "password": password_summary(ref),
            }
        )
    return rows


def current(ctx: Context) -> Any:
    """The resolved choice (runtime.Selection) and why."""
    from ..runtime.resolver import Request, resolve

    request = Request(ctx.project, ctx.memory, ctx.local)
    return resolve(request, ctx.loader(), cwd=ctx.cwd)


def show(ctx: Context, name: str | None = None, reveal: bool = False) -> dict[str, Any]:
    """One project: each value with its source; the secret masked unless ``reveal``."""
    from .. import fields, secrets

    loaded = ctx.load()
    if name is None:
        selection = current(ctx)
        if selection.project is None:
            return {"backend": selection.backend, "selected": selection.as_dict()}
        name, selected = selection.project, selection.as_dict()
    else:
        selected = {"backend": "redis", "project": name, "source": "argument", "detail": name}
    entry = require_entry(loaded.document, name)
    conn = spec.connection(name, entry)
    from ..runtime.zenenv import FromEnvironment

    origin = "environment" if isinstance(loaded, FromEnvironment) else "file"
    values = []
    for dotted, value in fields.leaves(spec.connection_document(entry)).items():
        if dotted == "password":
            continue
        in_file = fields.present(entry, dotted.split("."))
        if dotted == "key_prefix" and value is None:
            value = conn.key_prefix
        values.append({"field": dotted, "value": value, "source": origin if in_file else "default"})
    password: dict[str, Any] = {"source": password_summary(conn.password), "value": None}
    if conn.password is not None:
        password["value"] = secrets.resolve(conn.password, name, loaded) if reveal else "********"
    return {
        "name": name,
        "backend": "redis",
        "selected": selected,
        "file": str(loaded.path),
        "values": values,
        "password": password,
        "warnings": conn.tls_warnings(),
    }


def test_connections(
    ctx: Context, name: str | None = None, every: bool = False, timeout: float | None = None
) -> list[Any]:
    """health.Report for NAME, for every project (concurrently), or the resolved one."""
    import math

    from .. import health

    if timeout is not None and not (math.isfinite(timeout) and 0 < timeout <= 600):
        raise UsageError(
            f"--timeout must be a number of seconds above 0 and at most 600, not {timeout:g}"
        )

    loaded = ctx.load()
    projects = spec.projects(loaded.document)
    if every:
        if name is not None:
            raise UsageError("give a project NAME or --all, not both")
        if not projects:
            raise ZenConfigError("no projects to test", hint="add one: zen config add-project")
        return health.check_many(projects, loaded, timeout)
    if name is None:
        selection = current(ctx)
        if selection.project is None:
            raise UsageError(
                f"nothing to test: storage is {selection.backend} (from {selection.detail})",
                hint="name a project, or use --all",
            )
        name = selection.project
    require_entry(loaded.document, name)
    return [health.check(name, projects[name], loaded, timeout)]


def doctor(ctx: Context, timeout: float | None = None) -> tuple[list[Any], dict[str, Any]]:
    """Every finding, and the counts by status."""
    from .. import doctor as checks

    _check_timeout(timeout)

    findings = checks.run(ctx.config_path, ctx.path_source, ctx.cwd, timeout)
    return findings, checks.summary(findings)


def _check_timeout(timeout: float | None) -> None:
    import math

    if timeout is not None and not (math.isfinite(timeout) and 0 < timeout <= 600):
        raise UsageError(
            f"--timeout must be a number of seconds above 0 and at most 600, not {timeout:g}"
        )
