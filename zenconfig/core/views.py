"""Use cases that read: list, show, current, test-connection, doctor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import fields, rules
from ..errors import (
    UsageError,
    ZenConfigError,
)
from ..rules import default_prefix
from . import Context, connections, password_summary, require

if TYPE_CHECKING:
    from ..models import Connection

# -- list / show / current ---------------------------------------------------


def list_projects(ctx: Context) -> list[dict[str, Any]]:
    """One row per project, from the checked document (no model: this runs often)."""
    doc = ctx.load().document
    storage = doc.get("storage", {})
    default = storage.get("redis", {}).get("default")
    active = storage.get("type") == "redis"
    rows = []
    for name, conn in sorted(connections(doc).items()):
        ref = conn.get("password")
        rows.append(
            {
                "name": name,
                "default": name == default,
                "active": active and name == default,
                "mode": conn.get("mode", rules.MODE),
                "address": rules.address(conn),
                "host": conn.get("host", rules.HOST),
                "port": conn.get("port", rules.PORT),
                "db": conn.get("db", rules.DB),
                "key_prefix": rules.prefix(name, conn),
                "conversation_ttl_seconds": conn.get("conversation_ttl_seconds", rules.TTL_SECONDS),
                "tls": bool(conn.get("tls", {}).get("enabled", False)),
                "password_source": ref["source"] if ref else None,
                "password": password_summary(ref),
            }
        )
    return rows


def current(ctx: Context) -> Any:
    from .. import settings

    return settings.resolve(ctx.load(), project=ctx.project, memory=ctx.memory, cwd=ctx.cwd)


def tls_warnings(conn: Connection) -> list[str]:
    found = []
    if conn.tls.enabled and not conn.tls.verify:
        found.append("TLS certificate verification is OFF (tls.verify = false)")
    if conn.tls.enabled and not conn.tls.check_hostname:
        found.append("TLS host name checking is OFF (tls.check_hostname = false)")
    return found


def show(ctx: Context, name: str | None = None, reveal: bool = False) -> dict[str, Any]:
    """One project: each value with its source; the secret masked unless ``reveal``."""
    from .. import secrets, settings

    loaded = ctx.load()
    if name is None:
        selection = settings.resolve(loaded, project=ctx.project, memory=ctx.memory, cwd=ctx.cwd)
        if selection.project is None:
            return {"backend": "memory", "selected": selection.as_dict()}
        name, selected = selection.project, selection.as_dict()
    else:
        selected = {"backend": "redis", "project": name, "source": "argument", "detail": name}
    conn = require(loaded.config, name)
    entry = connections(loaded.document).get(name, {})
    values = []
    for dotted, value in fields.leaves(conn.model_dump(mode="json")).items():
        if dotted == "password":
            continue
        in_file = fields.present(entry, dotted.split("."))
        if dotted == "key_prefix" and value is None:
            value = default_prefix(name)
        values.append({"field": dotted, "value": value, "source": "file" if in_file else "default"})
    password: dict[str, Any] = {"source": password_summary(conn.password), "value": None}
    if conn.password is not None:
        password["value"] = (
            secrets.resolve(conn.password, name, loaded.path) if reveal else "********"
        )
    return {
        "name": name,
        "backend": "redis",
        "selected": selected,
        "file": str(loaded.path),
        "values": values,
        "password": password,
        "warnings": tls_warnings(conn),
    }


# -- health ------------------------------------------------------------------


def test_connections(
    ctx: Context, name: str | None = None, every: bool = False, timeout: float | None = None
) -> list[Any]:
    """health.Report for NAME, for every project (concurrently), or the resolved one."""
    from .. import health

    loaded = ctx.load()
    config = loaded.config
    if every:
        if name is not None:
            raise UsageError("give a project NAME or --all, not both")
        if not config.connections:
            raise ZenConfigError("no projects to test", hint="add one: zen config add-project")
        return health.check_many(dict(config.connections), loaded.path, timeout)
    if name is None:
        selection = current(ctx)
        if selection.project is None:
            raise UsageError(
                f"nothing to test: storage is memory (from {selection.detail})",
                hint="name a project, or use --all",
            )
        name = selection.project
    return [health.check(name, require(config, name), loaded.path, timeout)]


def doctor(ctx: Context, timeout: float | None = None) -> list[Any]:
    from .. import doctor as checks

    return checks.run(ctx.config_path, ctx.path_source, ctx.cwd, timeout)
