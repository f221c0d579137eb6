"""Passwords of projects: where a new secret goes, and which keyring entries a
config file may move or delete.

Keyring entries are scoped to their config file, so two files (``--config``,
``ZEN_CONFIG``, another HOME on the same keyring, ``migrate`` there) never
share or overwrite each other's secrets:

- a new secret is stored under service ``zen-cli``, user ``NAME@SCOPE``,
  SCOPE being 12 hex digits of sha256 of the config file's real path
  (``secrets.scope``); the reference in the file is read verbatim, so a
  moved file keeps working;
- a file *owns* the entry ``zen-cli/NAME@ITS-SCOPE`` of its project NAME, and
  only that one: rename moves it (new name, same scope), remove and a switch
  to another source delete it; any other entry (unscoped from older
  versions, another file's scope, a hand-written one) is left where it is
  and the note names it; a new secret never overwrites it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import configfile, defaults
from ..configfile import Document
from ..errors import ZenConfigError
from .common import Context, PasswordInput, password_summary, require_entry

if TYPE_CHECKING:
    from .. import secrets as secrets_module

Ref = dict[str, Any]


def check_destination(ctx: Context, name: str, *, new: bool) -> None:
    """Fail now, before a secret is typed, if it could not be stored for ``name``.

    ``new``: add-project (the name must be valid and free); otherwise the
    project must exist. Then the keyring must be usable.
    """
    from .. import secrets
    from ..errors import ProjectExistsError
    from .common import check_name, connections

    ctx.check_named()
    document = configfile.load(ctx.config_path).document  # add-project may create the file
    if new:
        check_name(name)
        if name in connections(document):
            raise ProjectExistsError(
                f"project '{name}' already exists",
                where=str(ctx.config_path),
                hint=f"change its password with: zen config set-password {name}",
            )
    else:
        require_entry(document, name)
    secrets.backend_name()


def reference(ctx: Context, name: str, password: PasswordInput) -> Ref:
    """The reference a new password of project ``name`` gets in this file."""
    from .. import secrets

    if password.env or password.command:
        return password.reference(name)
    username = secrets.scoped_username(name, ctx.config_path)
    return {"source": "keyring", "service": defaults.KEYRING_SERVICE, "username": username}


def _entry_name(ref: Ref | None) -> tuple[str, str] | None:
    """(service, user) of a keyring reference, None for other sources."""
    if not ref or ref.get("source") != "keyring":
        return None
    return ref.get("service", defaults.KEYRING_SERVICE), ref["username"]


def owned(ctx: Context, ref: Ref | None, name: str) -> bool:
    """Is ``ref`` the keyring entry this config file made for project ``name``?"""
    from .. import secrets

    found = _entry_name(ref)
    return found == (defaults.KEYRING_SERVICE, secrets.scoped_username(name, ctx.config_path))


def left_note(ref: Ref) -> str:
    service, user = _entry_name(ref) or ("?", "?")
    return (
        f"keyring entry {service}/{user} was left: it was not created for this config file "
        f"(another may use it); delete it yourself if nothing does: keyring del {service} {user}"
    )


def rename(
    ctx: Context,
    entry: dict[str, Any],
    old: str,
    new: str,
    notes: list[str],
    journal: secrets_module.Journal,
) -> Ref | None:
    """Give a renamed project's secret its new name; return an entry to delete after saving."""
    from .. import secrets

    ref = entry.get("password")
    found = _entry_name(ref)
    if found is None or ref is None:
        return None
    service, user = found
    scoped = secrets.split_scoped(user)
    named_after = user == old or (scoped is not None and scoped[0] == old)
    if service != defaults.KEYRING_SERVICE or not named_after:
        return None  # a hand-written entry: it does not follow the project's name
    own = owned(ctx, ref, old)
    secret = secrets.get_password(service, user)
    target = secrets.scoped_username(new, ctx.config_path)
    if secret is not None:
        taken = secrets.get_password(service, target)
        if taken is not None and taken != secret:  # e.g. kept by remove-project --keep-secret
            raise ZenConfigError(
                f"keyring entry {service}/{target} already holds another secret; "
                "nothing was changed",
                where=str(ctx.config_path),
                hint=f"delete it if nothing uses it (keyring del {service} {target}), "
                "or choose another name",
            )
        journal.set_password(service, target, secret)
    entry["password"] = {"source": "keyring", "service": service, "username": target}
    if secret is None:
        notes.append(
            f"no keyring entry {service}/{user} to move; store one with: "
            f"zen config set-password {new}"
        )
    elif own:
        notes.append(f"keyring entry moved to {service}/{target}")
    else:
        notes.append(f"keyring entry copied to {service}/{target}")
        notes.append(left_note(ref))
    return dict(ref) if own and secret is not None else None


def delete(ref: Ref) -> bool:
    from .. import secrets

    service, user = _entry_name(ref) or ("", "")
    return secrets.delete_password(service, user)


def set_password(ctx: Context, name: str, password: PasswordInput | None) -> tuple[str, list[str]]:
    """Replace a project's password or its source (None: no password, no AUTH).

    A new secret goes to this file's own entry; the old entry is deleted when
    this file owned it and it is no longer used, and named when it is left.
    Return the new source and the notes.
    """
    from .. import secrets

    notes: list[str] = []

    def change(doc: Document) -> tuple[str, Ref | None]:
        entry = require_entry(doc, name)
        old = entry.get("password")
        new = None if password is None else reference(ctx, name, password)
        if new is None:
            entry.pop("password", None)
        else:
            entry["password"] = new
        configfile.check(doc, ctx.config_path)
        if password is not None and password.secret is not None and new is not None:
            journal.set_password(new["service"], new["username"], password.secret)
        summary = password_summary(new)
        if old is None or _entry_name(old) is None or old == new:
            return summary, None
        if owned(ctx, old, name):
            return summary, dict(old)
        notes.append(left_note(old))
        return summary, None

    with secrets.Journal() as journal:  # the new secret goes if the file is not written
        summary, stale = ctx.update(change)
    if stale is not None and delete(stale):
        service, user = _entry_name(stale) or ("", "")
        notes.append(f"keyring entry {service}/{user} deleted")
    return summary, notes
