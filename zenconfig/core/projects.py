"""Use cases that change projects: add, set/get, use, rename, remove, passwords."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import configfile, defaults, fields, projectfile, spec
from ..configfile import Document
from ..errors import (
    ConfigError,
    ProjectExistsError,
    UsageError,
    ZenConfigError,
)
from .common import (
    Context,
    PasswordInput,
    check_name,
    connections,
    password_summary,
    require_entry,
)

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
) -> spec.ConnectionSpec:
    """Add project ``name`` with dotted ``settings``; the secret goes to the keyring."""
    from .. import secrets

    check_name(name)

    def change(doc: Document) -> spec.ConnectionSpec:
        if name in connections(doc):
            raise ProjectExistsError(
                f"project '{name}' already exists",
                where=str(ctx.config_path),
                hint=f"change it with: zen config set {name} FIELD VALUE",
            )
        entry: dict[str, Any] = {"host": defaults.HOST, "port": defaults.PORT, "db": defaults.DB}
        for dotted, value in settings.items():
            fields.put(entry, dotted.split("."), value)
        entry.setdefault("key_prefix", defaults.key_prefix(name))
        if password is not None:
            entry["password"] = password.reference(name)
        connections(doc)[name] = entry
        if use:
            _make_default(doc, name)
        configfile.validate(doc, ctx.config_path)
        if password is not None and password.secret is not None:
            secrets.set_password(defaults.KEYRING_SERVICE, name, password.secret)
        return spec.connection(name, entry)

    return configfile.update(ctx.config_path, change)


def _make_default(doc: Document, name: str) -> None:
    storage = doc.setdefault("storage", {})
    storage["type"] = "redis"
    storage.setdefault("redis", {})["default"] = name


def set_field(ctx: Context, name: str, field_path: str, raw: str) -> Any:
    """Set one field of a project, validated; return the stored value."""
    parts = fields.check_field(field_path, writable=True)
    value = fields.parse_value(raw, field_path)

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
    require_entry(ctx.load().document, name)
    dumped = config.connections[name].model_dump(mode="json")
    if field_path == "key_prefix":
        return (
            spec.connection(name, {}).key_prefix
            if dumped["key_prefix"] is None
            else dumped[field_path]
        )
    return fields.pick(dumped, parts)


# -- use / rename / remove / passwords ---------------------------------------


def use(ctx: Context, name: str | None, memory: bool = False, here: bool = False) -> str:
    """Make ``name`` the default (or switch to memory, or pin it in ./.zen-project)."""
    if memory == (name is not None):
        raise UsageError("give a project NAME or --memory, not both or neither")
    if here:
        if name is None:
            raise UsageError("--here needs a project NAME")
        require_entry(ctx.load().document, name)
        return str(projectfile.write(ctx.cwd or Path.cwd(), name))

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
        and ref.get("service", defaults.KEYRING_SERVICE) == defaults.KEYRING_SERVICE
        and ref.get("username") == name
    )


def rename_project(ctx: Context, old: str, new: str) -> list[str]:
    """Rename a project, moving its keyring entry; return notes for the user."""
    from .. import secrets

    check_name(new)
    notes: list[str] = []

    def change(doc: Document) -> bool:
        entry = require_entry(doc, old)
        conns = connections(doc)
        if new in conns:
            raise ProjectExistsError(f"project '{new}' already exists")
        if entry.get("key_prefix") is None:  # derived from the name: keep the data reachable
            entry["key_prefix"] = spec.connection(old, entry).key_prefix
            notes.append(f"key prefix '{entry['key_prefix']}' written into the entry")
        renamed = {(new if k == old else k): v for k, v in conns.items()}
        conns.clear()
        conns.update(renamed)
        redis = doc["storage"]["redis"]
        if redis.get("default") == old:
            redis["default"] = new
            notes.append(f"'{new}' is the default project")
        move = _managed_secret(entry, old)
        if move:
            secret = secrets.get_password(defaults.KEYRING_SERVICE, old)
            if secret is not None:
                secrets.set_password(defaults.KEYRING_SERVICE, new, secret)
            entry["password"]["username"] = new
            notes.append(f"keyring entry moved to {defaults.KEYRING_SERVICE}/{new}")
        return move

    moved = configfile.update(ctx.config_path, change)
    if moved:
        secrets.delete_password(defaults.KEYRING_SERVICE, old)
    if projectfile.find(ctx.cwd) is not None:
        notes.append("update any .zen-project file or ZEN_PROJECT that names " + repr(old))
    return notes


def remove_project(
    ctx: Context, name: str, force: bool = False, keep_secret: bool = False
) -> list[str]:
    """Delete a project and its keyring entry; the default needs ``force``."""
    from .. import secrets

    notes: list[str] = []
    entry = require_entry(ctx.load().document, name)
    delete_secret = _managed_secret(entry, name) and not keep_secret
    if delete_secret:
        secrets.backend_name()

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
    if delete_secret and secrets.delete_password(defaults.KEYRING_SERVICE, name):
        notes.append(f"keyring entry {defaults.KEYRING_SERVICE}/{name} deleted")
    return notes


def set_password(ctx: Context, name: str, password: PasswordInput) -> str:
    """Replace a project's password (or its source); return the new source."""
    from .. import secrets

    def change(doc: Document) -> str:
        entry = require_entry(doc, name)
        old = entry.get("password") or {}
        if password.secret is not None and old.get("source") == "keyring":
            service = old.get("service", defaults.KEYRING_SERVICE)
            user = old["username"]
            entry["password"] = {"source": "keyring", "service": service, "username": user}
        else:
            service, user = defaults.KEYRING_SERVICE, name
            entry["password"] = password.reference(name)
        configfile.check(doc, ctx.config_path)
        if password.secret is not None:
            secrets.set_password(service, user, password.secret)
        return password_summary(entry["password"])

    return configfile.update(ctx.config_path, change)
