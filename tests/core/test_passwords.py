"""zenconfig.core.passwords: where a new secret goes (scoped to its config file), which
keyring entries a file owns, and what rename, delete and set_password do with them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import pytest

from zenconfig import secrets
from zenconfig.core import Context, PasswordInput
from zenconfig.core import passwords as core
from zenconfig.errors import (
    ExitCode,
    ProjectExistsError,
    SecretUnavailableError,
    UnknownProjectError,
    UsageError,
)


def _entry(path: Path, name: str) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(path.read_text())["storage"]["redis"]["connections"][name]
    return entry


def _keyring(user: str) -> dict[str, str]:
    return {"source": "keyring", "service": "zen-cli", "username": user}


def test_a_new_secret_is_scoped_to_the_real_path_of_its_file(tmp_path: Path) -> None:
    real = tmp_path / "real" / "config.json"
    real.parent.mkdir()
    link = tmp_path / "link.json"
    link.symlink_to(real)
    other = tmp_path / "other" / "config.json"
    ref = core.reference(Context(real), "p1", PasswordInput(secret="s"))
    assert ref == _keyring(secrets.scoped_username("p1", real))
    assert secrets.split_scoped(ref["username"]) == ("p1", secrets.scope(real))
    assert core.reference(Context(link), "p1", PasswordInput(secret="s")) == ref
    assert core.reference(Context(other), "p1", PasswordInput(secret="s")) != ref
    assert core.reference(Context(real), "p1", PasswordInput(env="P1_PW")) == {
        "source": "env",
        "env": "P1_PW",
    }
    assert core.reference(Context(real), "p1", PasswordInput(command=["pass", "p1"])) == {
        "source": "command",
        "command": ["pass", "p1"],
    }


def test_a_file_owns_only_its_own_entry_of_that_project(tmp_path: Path) -> None:
    config, other = tmp_path / "config.json", tmp_path / "other.json"
    ctx = Context(config)
    mine = secrets.scoped_username("p1", config)
    assert core.owned(ctx, _keyring(mine), "p1")
    assert core.owned(ctx, {"source": "keyring", "username": mine}, "p1")  # service defaulted
    assert not core.owned(ctx, _keyring(mine), "p2")
    assert not core.owned(ctx, _keyring("p1"), "p1")  # unscoped, from an older version
    assert not core.owned(ctx, _keyring(secrets.scoped_username("p1", other)), "p1")
    assert not core.owned(ctx, {**_keyring(mine), "service": "elsewhere"}, "p1")
    assert not core.owned(ctx, {"source": "env", "env": "P1_PW"}, "p1")
    assert not core.owned(ctx, None, "p1")
    assert core.left_note(_keyring("p1")) == (
        "keyring entry zen-cli/p1 was left: it was not created for this config file "
        "(another may use it); delete it yourself if nothing does: keyring del zen-cli p1"
    )


def test_check_destination_fails_before_a_secret_is_typed(
    write_config: Callable[..., Path], config_file: Path
) -> None:
    from keyring.backends import fail

    ctx = Context(config_file)
    core.check_destination(ctx, "p1", new=True)  # no file yet: any valid name is free
    assert not config_file.exists()
    with pytest.raises(UnknownProjectError):
        core.check_destination(ctx, "p1", new=False)
    write_config({"p1": {}})
    with pytest.raises(ProjectExistsError) as caught:
        core.check_destination(ctx, "p1", new=True)
    assert caught.value.hint == "change its password with: zen config set-password p1"
    with pytest.raises(UsageError, match="'p 2' is not a valid project name"):
        core.check_destination(ctx, "p 2", new=True)
    core.check_destination(ctx, "p1", new=False)
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(SecretUnavailableError) as locked:
        core.check_destination(ctx, "p2", new=True)
    assert locked.value.exit_code is ExitCode.KEYRING_UNAVAILABLE


def test_rename_moves_an_owned_entry_and_copies_any_other(config_file: Path) -> None:
    ctx = Context(config_file)
    old, new = (secrets.scoped_username(n, config_file) for n in ("a", "b"))
    keyring.set_password("zen-cli", old, "pw-a")
    entry: dict[str, Any] = {"password": _keyring(old)}
    notes: list[str] = []
    stale = core.rename(ctx, entry, "a", "b", notes, secrets.Journal())
    assert stale == _keyring(old)  # deleted by the caller once the file is saved
    assert keyring.get_password("zen-cli", old) == "pw-a"
    assert keyring.get_password("zen-cli", new) == "pw-a"
    assert entry["password"] == _keyring(new)
    assert notes == [f"keyring entry moved to zen-cli/{new}"]
    assert core.delete(stale) and not core.delete(stale)
    assert keyring.get_password("zen-cli", old) is None

    keyring.delete_password("zen-cli", new)
    keyring.set_password("zen-cli", "a", "shared")  # an unscoped entry of an older version
    entry, notes = {"password": _keyring("a")}, []
    assert core.rename(ctx, entry, "a", "b", notes, secrets.Journal()) is None
    assert keyring.get_password("zen-cli", "a") == "shared"
    assert entry["password"] == _keyring(new)
    assert notes == [f"keyring entry copied to zen-cli/{new}", core.left_note(_keyring("a"))]


def test_rename_leaves_what_does_not_follow_the_name(config_file: Path) -> None:
    ctx = Context(config_file)
    for ref in [
        _keyring("team-redis"),  # hand-written: not named after the project
        {"source": "keyring", "service": "other", "username": "a"},
        {"source": "env", "env": "A_PW"},
    ]:
        entry: dict[str, Any] = {"password": dict(ref)}
        notes: list[str] = []
        assert core.rename(ctx, entry, "a", "b", notes, secrets.Journal()) is None
        assert entry == {"password": ref} and notes == []
    entry, notes = {"password": _keyring(secrets.scoped_username("a", config_file))}, []
    assert (
        core.rename(ctx, entry, "a", "b", notes, secrets.Journal()) is None
    )  # nothing stored to move
    assert entry["password"] == _keyring(secrets.scoped_username("b", config_file))
    assert notes == [
        f"no keyring entry zen-cli/{secrets.scoped_username('a', config_file)} to move; "
        "store one with: zen config set-password b"
    ]


def test_set_password_replaces_deletes_or_leaves_the_old_entry(
    write_config: Callable[..., Path], config_file: Path
) -> None:
    ctx = Context(config_file)
    mine = secrets.scoped_username("p1", config_file)
    write_config({"p1": {"password": _keyring("p1")}})
    keyring.set_password("zen-cli", "p1", "legacy")
    summary, notes = core.set_password(ctx, "p1", PasswordInput(secret="pw-1"))
    assert summary == f"keyring:zen-cli/{mine}"
    assert notes == [core.left_note(_keyring("p1"))]
    assert keyring.get_password("zen-cli", "p1") == "legacy"  # never overwritten
    assert keyring.get_password("zen-cli", mine) == "pw-1"
    assert core.set_password(ctx, "p1", PasswordInput(secret="pw-2")) == (summary, [])
    assert keyring.get_password("zen-cli", mine) == "pw-2"  # replaced in place, not deleted
    assert _entry(config_file, "p1")["password"] == _keyring(mine)
    assert core.set_password(ctx, "p1", PasswordInput(command=["/usr/bin/pass", "x"])) == (
        "command:pass",
        [f"keyring entry zen-cli/{mine} deleted"],
    )
    assert keyring.get_password("zen-cli", mine) is None
    assert core.set_password(ctx, "p1", None) == ("none", [])
    assert "password" not in _entry(config_file, "p1")
    with pytest.raises(UnknownProjectError):
        core.set_password(ctx, "p9", PasswordInput(env="X"))


def test_rename_never_overwrites_an_entry_that_holds_another_secret(
    config_file: Path,
) -> None:
    """An entry left at the new name (remove-project --keep-secret) is someone's secret."""
    from zenconfig.core import PasswordInput, projects
    from zenconfig.errors import ZenConfigError

    ctx = Context.create()
    projects.add_project(ctx, "p2", {}, PasswordInput(secret="old-p2"))
    projects.remove_project(ctx, "p2", keep_secret=True)
    projects.add_project(ctx, "p1", {}, PasswordInput(secret="pw-p1"))
    before = config_file.read_bytes()
    with pytest.raises(ZenConfigError) as caught:
        projects.rename_project(ctx, "p1", "p2")
    kept = secrets.scoped_username("p2", config_file)
    assert caught.value.message == (
        f"keyring entry zen-cli/{kept} already holds another secret; nothing was changed"
    )
    assert keyring.get_password("zen-cli", kept) == "old-p2"
    assert config_file.read_bytes() == before
