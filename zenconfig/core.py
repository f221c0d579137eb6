"""The use cases behind ``zen config``: they return values and raise
``ZenConfigError``; they never print and never pick an exit code."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import configfile, fields, paths, rules
from .configfile import Document, Loaded
from .errors import (
    ConfigError,
    ProjectExistsError,
    UnknownProjectError,
    UsageError,
    ZenConfigError,
)
from .rules import NAME_PATTERN, default_prefix

if TYPE_CHECKING:
    from .models import Config, Connection


@dataclass
class Context:
    """What the root options say: which file, and any --project/--memory."""

    config_path: Path
    path_source: str = "default"
    project: str | None = None
    memory: bool = False
    cwd: Path | None = None

    @classmethod
    def create(
        cls, config: str | None = None, project: str | None = None, memory: bool = False
    ) -> Context:
        path, source = paths.config_path(config)
        return cls(path, source, project, memory)

    def load(self) -> Loaded:
        return configfile.load(self.config_path)


@dataclass(frozen=True)
class PasswordInput:
    """Where a new password comes from. ``secret`` goes to the keyring."""

    secret: str | None = field(default=None, repr=False)
    env: str | None = None
    command: list[str] | None = None

    def reference(self, name: str) -> dict[str, Any]:
        if self.env:
            return {"source": "env", "env": self.env}
        if self.command:
            return {"source": "command", "command": list(self.command)}
        return {"source": "keyring", "service": paths.KEYRING_SERVICE, "username": name}


def connections(doc: Document) -> dict[str, Any]:
    storage = doc.setdefault("storage", {})
    redis = storage.setdefault("redis", {})
    conns: dict[str, Any] = redis.setdefault("connections", {})
    return conns


def require(config: Config, name: str, where: str | None = None) -> Connection:
    try:
        return config.connections[name]
    except KeyError:
        raise UnknownProjectError(name, config.names(), where=where) from None


def require_entry(doc: Document, name: str) -> dict[str, Any]:
    """The document's entry for project ``name`` (no model needed)."""
    conns = connections(doc)
    if name not in conns:
        raise UnknownProjectError(name, sorted(conns))
    entry: dict[str, Any] = conns[name]
    return entry


def check_name(name: str) -> None:
    if not re.fullmatch(NAME_PATTERN, name) or len(name) > 64:
        raise UsageError(
            f"'{name}' is not a valid project name",
            hint="use letters, digits, '_', '.' and '-' (at most 64)",
        )


# -- init / validate / schema ------------------------------------------------


def init(ctx: Context, fmt: str | None = None, force: bool = False) -> tuple[Path, Path]:
    """Create the config file and the schema beside it; return both paths."""
    from . import schema

    path = ctx.config_path
    if fmt is not None and paths.is_toml(path) != (fmt == "toml"):
        if ctx.path_source != "default":
            raise UsageError(f"--format {fmt} does not match the file name {path}")
        path = path.with_suffix(".toml" if fmt == "toml" else ".json")
    if path.exists() and not force:
        raise ZenConfigError(
            "a config file already exists",
            where=str(path),
            hint="keep it, or replace it with --force (the old one is kept as .bak)",
        )
    schema_path = path.parent / paths.SCHEMA_FILE_NAME
    document = configfile.empty_document("./" + paths.SCHEMA_FILE_NAME)
    with configfile.locked(path):
        configfile.atomic_write(schema_path, schema.shipped().encode("utf-8"))
        configfile.write(path, document)
    return path, schema_path


def validate_file(ctx: Context, file: Path | None = None) -> Config:
    path = file or ctx.config_path
    if not path.exists():
        raise ZenConfigError("no such file", where=str(path), hint="create one: zen config init")
    return configfile.load(path).config  # the model too, not only the fast check


# -- add / set / get ---------------------------------------------------------


def parse_url(url: str) -> dict[str, Any]:
    """``redis[s]://[user@]host[:port][/db]`` as field values; never a password."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise UsageError(f"--url must start with redis:// or rediss://, not '{parts.scheme}://'")
    if parts.password is not None:
        raise UsageError(
            "--url contains a password; passwords are never taken from the command line "
            "(shell history, ps)",
            hint="drop it from the URL and use --password-stdin, --ask-password, "
            "--password-env VAR or --password-command CMD",
        )
    values: dict[str, Any] = {}
    try:
        port = parts.port
    except ValueError as e:
        raise UsageError(f"--url has a bad port: {e}") from e
    if parts.hostname:
        values["host"] = parts.hostname
    if port is not None:
        values["port"] = port
    if parts.username:
        values["username"] = unquote(parts.username)
    db = parts.path.strip("/")
    if db:
        if not db.isdigit():
            raise UsageError(f"--url database must be a number, not '{db}'")
        values["db"] = int(db)
    if parts.scheme == "rediss":
        values["tls.enabled"] = True
    return values


def add_project(
    ctx: Context,
    name: str,
    settings: dict[str, Any],
    password: PasswordInput | None = None,
    use: bool = False,
) -> Connection:
    """Add project ``name`` with dotted ``settings``; the secret goes to the keyring."""
    from . import secrets

    check_name(name)

    def change(doc: Document) -> Connection:
        if name in connections(doc):
            raise ProjectExistsError(
                f"project '{name}' already exists",
                where=str(ctx.config_path),
                hint=f"change it with: zen config set {name} FIELD VALUE",
            )
        entry: dict[str, Any] = {"host": "127.0.0.1", "port": 6379, "db": 0}
        for dotted, value in settings.items():
            fields.put(entry, dotted.split("."), value)
        entry.setdefault("key_prefix", default_prefix(name))
        if password is not None:
            entry["password"] = password.reference(name)
        connections(doc)[name] = entry
        if use:
            _make_default(doc, name)
        checked = configfile.validate(doc, ctx.config_path)
        if password is not None and password.secret is not None:
            secrets.set_password(paths.KEYRING_SERVICE, name, password.secret)
        return checked.connections[name]

    return configfile.update(ctx.config_path, change)


def _make_default(doc: Document, name: str) -> None:
    storage = doc.setdefault("storage", {})
    storage["type"] = "redis"
    storage.setdefault("redis", {})["default"] = name


def set_field(ctx: Context, name: str, field_path: str, raw: str) -> Any:
    """Set one field of a project, validated; return the stored value."""
    parts = fields.check_field(field_path, writable=True)
    value = fields.parse_value(raw)

    def change(doc: Document) -> Any:
        entry = require_entry(doc, name)
        fields.put(entry, parts, value)
        try:
            checked = configfile.validate(doc, ctx.config_path)
        except ConfigError as e:
            e.message = f"{field_path} = {raw!r} is not valid; nothing was changed"
            e.hint = f"see: zen config get {name} {field_path}"
            raise
        stored = fields.pick(checked.connections[name].model_dump(mode="json"), parts)
        fields.put(entry, parts, stored)
        return stored

    return configfile.update(ctx.config_path, change)


def get_field(ctx: Context, name: str, field_path: str) -> Any:
    parts = fields.check_field(field_path, writable=False)
    config = ctx.load().config
    conn = require(config, name)
    dumped = conn.model_dump(mode="json")
    if field_path == "key_prefix":
        return conn.prefix(name)
    return fields.pick(dumped, parts)


# -- list / show / current ---------------------------------------------------


def password_summary(ref: Any) -> str:
    """keyring:SERVICE/USER, env:VAR, command:PROGRAM or none (a model or a dict)."""
    if ref is None:
        return "none"
    if not isinstance(ref, dict):
        ref = ref.model_dump()
    if ref["source"] == "keyring":
        return f"keyring:{ref.get('service', paths.KEYRING_SERVICE)}/{ref['username']}"
    if ref["source"] == "env":
        return f"env:{ref['env']}"
    return "command:" + os.path.basename(ref["command"][0])


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
    from . import settings

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
    from . import secrets, settings

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


# -- use / rename / remove / passwords ---------------------------------------


def use(ctx: Context, name: str | None, memory: bool = False, here: bool = False) -> str:
    """Make ``name`` the default (or switch to memory, or pin it in ./.zen-project)."""
    if memory == (name is not None):
        raise UsageError("give a project NAME or --memory, not both or neither")
    if here:
        if name is None:
            raise UsageError("--here needs a project NAME")
        require(ctx.load().config, name)
        target = (ctx.cwd or Path.cwd()) / paths.PROJECT_FILE_NAME
        target.write_text(name + "\n", encoding="utf-8")
        return str(target)

    def change(doc: Document) -> str:
        if name is None:
            doc.setdefault("storage", {})["type"] = "memory"
            return "memory"
        require_entry(doc, name)
        _make_default(doc, name)
        return name

    return configfile.update(ctx.config_path, change)


def _managed_secret(entry: dict[str, Any], name: str) -> bool:
    """Is the password the keyring entry zen-cli/NAME that zen config manages?"""
    ref = entry.get("password") or {}
    return (
        ref.get("source") == "keyring"
        and ref.get("service", paths.KEYRING_SERVICE) == paths.KEYRING_SERVICE
        and ref.get("username") == name
    )


def rename_project(ctx: Context, old: str, new: str) -> list[str]:
    """Rename a project, moving its keyring entry; return notes for the user."""
    from . import secrets

    check_name(new)
    notes: list[str] = []

    def change(doc: Document) -> bool:
        entry = require_entry(doc, old)
        conns = connections(doc)
        if new in conns:
            raise ProjectExistsError(f"project '{new}' already exists")
        renamed = {(new if k == old else k): v for k, v in conns.items()}
        conns.clear()
        conns.update(renamed)
        redis = doc["storage"]["redis"]
        if redis.get("default") == old:
            redis["default"] = new
            notes.append(f"'{new}' is the default project")
        move = _managed_secret(entry, old)
        if move:
            secret = secrets.get_password(paths.KEYRING_SERVICE, old)
            if secret is not None:
                secrets.set_password(paths.KEYRING_SERVICE, new, secret)
            entry["password"]["username"] = new
            notes.append(f"keyring entry moved to {paths.KEYRING_SERVICE}/{new}")
        return move

    moved = configfile.update(ctx.config_path, change)
    if moved:
        secrets.delete_password(paths.KEYRING_SERVICE, old)
    if paths.find_project_file(ctx.cwd) is not None:
        notes.append("update any .zen-project file or ZEN_PROJECT that names " + repr(old))
    return notes


def remove_project(
    ctx: Context, name: str, force: bool = False, keep_secret: bool = False
) -> list[str]:
    """Delete a project and its keyring entry; the default needs ``force``."""
    from . import secrets

    notes: list[str] = []
    entry = require_entry(ctx.load().document, name)
    delete_secret = _managed_secret(entry, name) and not keep_secret
    if delete_secret:
        secrets.check_keyring()

    def change(doc: Document) -> None:
        require_entry(doc, name)
        storage = doc["storage"]
        if storage["redis"].get("default") == name:
            if not force:
                raise ZenConfigError(
                    f"'{name}' is the default project",
                    hint="choose another with 'zen config use', or remove it with --force",
                )
            storage["redis"].pop("default")
            if storage.get("type") == "redis":
                storage["type"] = "memory"
                notes.append("no default project left: storage.type is now 'memory'")
        del connections(doc)[name]

    configfile.update(ctx.config_path, change)
    if delete_secret and secrets.delete_password(paths.KEYRING_SERVICE, name):
        notes.append(f"keyring entry {paths.KEYRING_SERVICE}/{name} deleted")
    return notes


def set_password(ctx: Context, name: str, password: PasswordInput) -> str:
    """Replace a project's password (or its source); return the new source."""
    from . import secrets

    def change(doc: Document) -> str:
        entry = require_entry(doc, name)
        old = entry.get("password") or {}
        if password.secret is not None and old.get("source") == "keyring":
            service = old.get("service", paths.KEYRING_SERVICE)
            user = old["username"]
            entry["password"] = {"source": "keyring", "service": service, "username": user}
        else:
            service, user = paths.KEYRING_SERVICE, name
            entry["password"] = password.reference(name)
        configfile.check(doc, ctx.config_path)
        if password.secret is not None:
            secrets.set_password(service, user, password.secret)
        return password_summary(entry["password"])

    return configfile.update(ctx.config_path, change)


def edit(ctx: Context, editor: list[str]) -> bool:
    """Open a copy in ``editor``; save it only if it validates. True if changed."""
    import subprocess
    import tempfile

    path = ctx.config_path
    loaded = ctx.load()
    original = loaded.raw or configfile.serialize(loaded.document, path)
    fd, tmp = tempfile.mkstemp(prefix="zen-config-", suffix=path.suffix or ".json")
    with os.fdopen(fd, "wb") as handle:
        handle.write(original)
    try:
        done = subprocess.run([*editor, tmp], check=False)
    except OSError as e:
        os.unlink(tmp)
        raise ZenConfigError(f"cannot start the editor {editor[0]}: {e.strerror}") from e
    if done.returncode != 0:
        os.unlink(tmp)
        raise ZenConfigError(f"the editor exited with status {done.returncode}; nothing saved")
    edited = Path(tmp).read_bytes()
    if edited == original:
        os.unlink(tmp)
        return False
    try:
        document, _ = configfile.parse(edited, path)
        configfile.validate(document, path)
    except ConfigError as e:
        e.message = f"not saved: {e.message}"
        e.where = str(path)
        e.hint = (
            f"your edit is kept in {tmp}; fix it and copy it back, or run 'zen config edit' again"
        )
        raise
    with configfile.locked(path):
        now = path.read_bytes() if path.exists() else b""
        if now != (loaded.raw or b""):
            raise ZenConfigError(
                "the file changed while you were editing; not saved",
                where=str(path),
                hint=f"your edit is kept in {tmp}",
            )
        configfile.atomic_write(path, edited)
    os.unlink(tmp)
    return True


# -- health ------------------------------------------------------------------


def test_connections(
    ctx: Context, name: str | None = None, every: bool = False, timeout: float | None = None
) -> list[Any]:
    """health.Report for NAME, for every project (concurrently), or the resolved one."""
    from . import health

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
    from . import doctor as checks

    return checks.run(ctx.config_path, ctx.path_source, ctx.cwd, timeout)
