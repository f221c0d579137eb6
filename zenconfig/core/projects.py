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
from . import passwords
from .common import (
    Context,
    PasswordInput,
    check_name,
    connections,
    require_entry,
)
from .entries import explain

# -- add / set / get ---------------------------------------------------------


def add_project(
    ctx: Context,
    name: str,
    settings: dict[str, Any],
    password: PasswordInput | None = None,
    use: bool = False,
    origins: dict[str, str] | None = None,
) -> spec.ConnectionSpec:
    """Add project ``name`` with dotted ``settings``; the secret goes to the keyring.

    ``origins`` names the flag each setting came from, for the messages.
    """
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
            entry["password"] = passwords.reference(ctx, name, password)
        connections(doc)[name] = entry
        if use:
            _make_default(doc, name)
        alone = {
            "version": defaults.CURRENT_VERSION,
            "storage": {"redis": {"connections": {name: entry}}},
        }
        try:  # the new entry by itself: its problems are the flags' problems
            configfile.validate(alone, ctx.config_path)
        except ConfigError as e:
            raise explain(e, name, settings, origins or {}) from None
        try:  # then with the rest of the file (overlapping prefixes, ...)
            configfile.validate(doc, ctx.config_path)
        except ConfigError as e:
            e.message = f"project '{name}' cannot be added: {e.message}"
            e.hint = "nothing was written; change the flags (see the key above)"
            if any("key_prefix" in line for line in e.details):  # the overlap rule
                e.hint = f"nothing was written; give '{name}' a prefix of its own: --key-prefix"
            raise
        if password is not None and password.secret is not None:
            ref = entry["password"]
            journal.set_password(ref["service"], ref["username"], password.secret)
        return spec.connection(name, entry)

    with secrets.Journal() as journal:  # the entry goes if the file is not written
        return ctx.update(change)


def _make_default(doc: Document, name: str) -> None:
    storage = doc.setdefault("storage", {})
    storage["type"] = "redis"
    storage.setdefault("redis", {})["default"] = name


def set_field(ctx: Context, name: str, field_path: str, raw: str) -> Any:
    """Set one field of a project, validated; return the stored value.

    ``null`` clears the field: it leaves the entry, so its default applies again.
    """
    parts = fields.check_field(field_path, writable=True)
    clear = raw.strip() == "null"
    value = None if clear else fields.parse_value(raw, field_path)

    def change(doc: Document) -> Any:
        entry = require_entry(doc, name)
        if clear:
            fields.unset(entry, parts)
        else:
            fields.put(entry, parts, value)
        try:
            checked = configfile.validate(doc, ctx.config_path)
        except ConfigError as e:
            e.message = f"{field_path} = {raw!r} is not valid; nothing was changed"
            e.hint = f"see: zen config get {name} {field_path}"
            raise
        if clear:
            return None
        stored = fields.pick(checked.connections[name].model_dump(mode="json"), parts)
        fields.put(entry, parts, stored)
        return stored

    stored = ctx.update(change)
    return get_field(ctx, name, field_path) if clear else stored  # the default now in effect


def get_field(ctx: Context, name: str, field_path: str) -> Any:
    """One field of a project, defaults included (no pydantic: this runs often)."""
    parts = fields.check_field(field_path, writable=False)
    entry = require_entry(ctx.load().document, name)
    if field_path == "key_prefix":
        return spec.connection(name, entry).key_prefix
    return fields.pick(spec.connection_document(entry), parts)


# -- use / rename / remove / passwords ---------------------------------------


def use(
    ctx: Context, name: str | None, memory: bool = False, here: bool = False, local: bool = False
) -> str:
    """Make ``name`` the default (or switch to memory or the local store, or pin
    it in ./.zen-project); return the project name, ``memory`` or ``local``."""
    if [name is not None, memory, local].count(True) != 1:
        raise UsageError("give one of a project NAME, --memory or --local")
    if here:
        if name is None:
            raise UsageError("--here needs a project NAME")
        require_entry(ctx.load().document, name)
        return str(projectfile.write(ctx.cwd or Path.cwd(), name))

    def change(doc: Document) -> str:
        if name is None:
            kind = "local" if local else "memory"
            doc.setdefault("storage", {})["type"] = kind
            return kind
        require_entry(doc, name)
        _make_default(doc, name)
        return name

    return ctx.update(change)


def rename_project(ctx: Context, old: str, new: str) -> list[str]:
    """Rename a project, moving its keyring entry; return notes for the user."""
    check_name(new)
    if new == old:
        raise UsageError(f"'{old}' already has that name", hint="give a different NEW name")
    notes: list[str] = []

    def change(doc: Document) -> dict[str, Any] | None:
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
        return passwords.rename(ctx, entry, old, new, notes, journal)

    from .. import secrets

    with secrets.Journal() as journal:
        moved = ctx.update(change)
    if moved is not None:
        passwords.delete(moved)
    if projectfile.find(ctx.cwd) is not None:
        notes.append("update any .zen-project file or ZEN_PROJECT that names " + repr(old))
    return notes


def remove_project(
    ctx: Context, name: str, force: bool = False, keep_secret: bool = False
) -> list[str]:
    """Delete a project and the keyring entry this file made for it; the default needs ``force``."""
    from .. import secrets

    notes: list[str] = []
    ref = require_entry(ctx.load().document, name).get("password")
    own = passwords.owned(ctx, ref, name) and not keep_secret
    if own:
        try:
            secrets.backend_name()
        except ZenConfigError as e:
            e.hint = (
                f"{e.hint}; or remove the project and leave its keyring entry: "
                f"zen config remove-project {name} --keep-secret"
            )
            raise

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

    ctx.update(change)
    if own and ref is not None and passwords.delete(ref):
        notes.append(f"keyring entry {ref['service']}/{ref['username']} deleted")
    elif ref is not None and ref.get("source") == "keyring" and not keep_secret:
        notes.append(passwords.left_note(ref))
    return notes


def local_database(ctx: Context) -> str:
    """The local store's database file, as the store will open it."""
    loaded = ctx.load()
    return str(spec.local(loaded.document).resolved(loaded.path))
