"""zenconfig.core.projects: add, set/get, use, rename and remove a project through the use
cases on a real config file, what each returns, and that a refusal writes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import pytest

from zenconfig import defaults, paths, secrets
from zenconfig.core import Context, PasswordInput
from zenconfig.core import projects as core
from zenconfig.errors import (
    ConfigError,
    ExitCode,
    ProjectExistsError,
    SecretUnavailableError,
    UnknownProjectError,
    UsageError,
    ZenConfigError,
)


@pytest.fixture
def ctx(config_file: Path, tmp_path: Path) -> Context:
    cwd = tmp_path / "here"
    cwd.mkdir()
    return Context(config_file, cwd=cwd)


def _doc(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def _entry(path: Path, name: str) -> dict[str, Any]:
    entry: dict[str, Any] = _doc(path)["storage"]["redis"]["connections"][name]
    return entry


def test_add_writes_the_entry_and_can_make_it_the_default(ctx: Context, config_file: Path) -> None:
    conn = core.add_project(ctx, "p1", {"port": 7000, "tls.enabled": True}, use=True)
    assert (conn.name, conn.host, conn.port, conn.db) == ("p1", defaults.HOST, 7000, defaults.DB)
    assert conn.key_prefix == "zen:p1:" and conn.tls.enabled
    assert _entry(config_file, "p1") == {
        "host": defaults.HOST,
        "port": 7000,
        "db": defaults.DB,
        "tls": {"enabled": True},
        "key_prefix": "zen:p1:",  # written, so a rename keeps the data reachable
    }
    storage = _doc(config_file)["storage"]
    assert (storage["type"], storage["redis"]["default"]) == ("redis", "p1")
    before = config_file.read_bytes()
    with pytest.raises(ProjectExistsError) as caught:
        core.add_project(ctx, "p1", {"port": 7001})
    assert caught.value.exit_code is ExitCode.ERROR
    assert str(caught.value) == f"project 'p1' already exists ({config_file})"
    assert caught.value.hint == "change it with: zen config set p1 FIELD VALUE"
    assert config_file.read_bytes() == before


def test_a_refused_add_writes_neither_the_file_nor_the_secret(
    ctx: Context, config_file: Path
) -> None:
    core.add_project(ctx, "p1", {"port": 7000})
    before = config_file.read_bytes()
    secret = PasswordInput(secret="pw-never-stored")
    with pytest.raises(UsageError) as flags:  # the new entry's own problems name the flags
        core.add_project(
            ctx, "p2", {"port": 0, "db": 99}, secret, origins={"port": "--port", "db": "--db"}
        )
    assert str(flags.value) == "--port 0: must be >= 1\n  --db 99: must be <= 15"
    assert flags.value.hint == "nothing was written"
    with pytest.raises(ConfigError) as overlap:  # valid alone, not beside p1
        core.add_project(ctx, "p2", {"port": 7000, "key_prefix": "zen:p1:x"}, secret)
    assert overlap.value.exit_code is ExitCode.INVALID_CONFIG
    assert overlap.value.message.startswith("project 'p2' cannot be added: ")
    assert "'zen:p1:x' overlaps 'zen:p1:' of project 'p1'" in str(overlap.value)
    assert overlap.value.hint == "nothing was written; give 'p2' a prefix of its own: --key-prefix"
    with pytest.raises(UsageError, match="'bad name' is not a valid project name"):
        core.add_project(ctx, "bad name", {}, secret)
    assert config_file.read_bytes() == before
    assert keyring.get_password("zen-cli", secrets.scoped_username("p2", config_file)) is None
    core.add_project(ctx, "p2", {"port": 7000}, secret)
    user = secrets.scoped_username("p2", config_file)
    assert keyring.get_password("zen-cli", user) == "pw-never-stored"
    assert _entry(config_file, "p2")["password"] == {
        "source": "keyring",
        "service": "zen-cli",
        "username": user,
    }


def test_set_returns_what_is_stored_and_get_fills_in_defaults(
    write_config: Callable[..., Path], config_file: Path, tmp_path: Path
) -> None:
    write_config({"p1": {"port": 7000}})
    ctx = Context(config_file, cwd=tmp_path)
    assert core.get_field(ctx, "p1", "key_prefix") == "zen:p1:"  # derived, not in the file
    assert core.get_field(ctx, "p1", "timeouts") == {
        "connect_seconds": defaults.CONNECT_TIMEOUT_SECONDS,
        "socket_seconds": defaults.SOCKET_TIMEOUT_SECONDS,
    }
    stored = core.set_field(ctx, "p1", "timeouts.connect_seconds", "2")
    assert stored == 2.0 and isinstance(stored, float)  # as the model keeps it
    assert _entry(config_file, "p1")["timeouts"] == {"connect_seconds": 2.0}
    assert core.get_field(ctx, "p1", "timeouts.connect_seconds") == 2.0
    before = config_file.read_bytes()
    with pytest.raises(ConfigError) as caught:
        core.set_field(ctx, "p1", "port", "0")
    assert caught.value.message == "port = '0' is not valid; nothing was changed"
    assert caught.value.details == ["  storage.redis.connections.p1.port: must be >= 1"]
    assert caught.value.hint == "see: zen config get p1 port"
    with pytest.raises(UnknownProjectError):
        core.set_field(ctx, "p9", "port", "7001")
    assert config_file.read_bytes() == before


def test_use_a_project_memory_local_or_here(ctx: Context, config_file: Path) -> None:
    core.add_project(ctx, "p1", {})
    core.add_project(ctx, "p2", {"db": 1})
    choices: list[dict[str, Any]] = [
        {"name": None},
        {"name": "p1", "memory": True},
        {"name": None, "memory": True, "local": True},
    ]
    for choice in choices:
        with pytest.raises(UsageError, match="give one of a project NAME, --memory or --local"):
            core.use(ctx, **choice)
    assert core.use(ctx, "p2") == "p2"
    assert _doc(config_file)["storage"]["type"] == "redis"
    assert core.use(ctx, None, local=True) == "local"
    storage = _doc(config_file)["storage"]
    assert (storage["type"], storage["redis"]["default"]) == ("local", "p2")
    assert core.use(ctx, None, memory=True) == "memory"
    with pytest.raises(UnknownProjectError):
        core.use(ctx, "p3")
    with pytest.raises(UsageError, match="--here needs a project NAME"):
        core.use(ctx, None, memory=True, here=True)
    with pytest.raises(UnknownProjectError):
        core.use(ctx, "p3", here=True)
    assert ctx.cwd is not None
    assert not (ctx.cwd / paths.PROJECT_FILE_NAME).exists()
    before = config_file.read_bytes()
    pinned = core.use(ctx, "p1", here=True)
    assert pinned == str(ctx.cwd / paths.PROJECT_FILE_NAME)
    assert Path(pinned).read_text().split() == ["p1"]
    assert config_file.read_bytes() == before  # --here never changes the file


def test_rename_moves_the_default_and_says_what_else_to_update(
    write_config: Callable[..., Path], config_file: Path, tmp_path: Path
) -> None:
    write_config({"p1": {"port": 7000}, "p2": {"port": 7001}}, default="p1")
    (tmp_path / paths.PROJECT_FILE_NAME).write_text("p1\n")
    ctx = Context(config_file, cwd=tmp_path)
    before = config_file.read_bytes()
    with pytest.raises(UsageError, match="'p1' already has that name"):
        core.rename_project(ctx, "p1", "p1")
    with pytest.raises(UsageError, match="is not a valid project name"):
        core.rename_project(ctx, "p1", "p 1")
    with pytest.raises(ProjectExistsError, match="project 'p2' already exists"):
        core.rename_project(ctx, "p1", "p2")
    with pytest.raises(UnknownProjectError):
        core.rename_project(ctx, "p0", "p9")
    assert config_file.read_bytes() == before
    notes = core.rename_project(ctx, "p1", "p9")
    assert notes == [
        "key prefix 'zen:p1:' written into the entry",
        "'p9' is the default project",
        "update any .zen-project file or ZEN_PROJECT that names 'p1'",
    ]
    redis = _doc(config_file)["storage"]["redis"]
    assert list(redis["connections"]) == ["p9", "p2"]  # the order of the file is kept
    assert redis["connections"]["p9"] == {"port": 7000, "key_prefix": "zen:p1:"}
    assert redis["default"] == "p9"
    assert core.rename_project(ctx, "p2", "p3") == [
        "key prefix 'zen:p2:' written into the entry",
        "update any .zen-project file or ZEN_PROJECT that names 'p2'",
    ]


def test_remove_the_default_needs_force_and_deletes_its_own_secret(
    ctx: Context, config_file: Path
) -> None:
    core.add_project(ctx, "p1", {}, PasswordInput(secret="pw-1"), use=True)
    core.add_project(ctx, "p2", {"db": 1}, PasswordInput(env="P2_PW"))
    user = secrets.scoped_username("p1", config_file)
    before = config_file.read_bytes()
    with pytest.raises(ZenConfigError) as caught:
        core.remove_project(ctx, "p1")
    assert caught.value.message == "'p1' is the default project"
    assert caught.value.exit_code is ExitCode.ERROR
    assert config_file.read_bytes() == before
    assert keyring.get_password("zen-cli", user) == "pw-1"
    assert core.remove_project(ctx, "p2") == []  # an env reference: nothing to delete
    assert core.remove_project(ctx, "p1", force=True) == [
        "no default project left: storage.type is now 'memory'",
        f"keyring entry zen-cli/{user} deleted",
    ]
    storage = _doc(config_file)["storage"]
    assert storage["type"] == "memory"
    assert "default" not in storage["redis"] and storage["redis"]["connections"] == {}
    assert keyring.get_password("zen-cli", user) is None
    with pytest.raises(UnknownProjectError):
        core.remove_project(ctx, "p1")


def test_remove_without_a_keyring_points_to_keep_secret(ctx: Context, config_file: Path) -> None:
    from keyring.backends import fail

    core.add_project(ctx, "p1", {}, PasswordInput(secret="pw-1"))
    memory = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    before = config_file.read_bytes()
    with pytest.raises(SecretUnavailableError) as caught:
        core.remove_project(ctx, "p1")
    assert caught.value.exit_code is ExitCode.KEYRING_UNAVAILABLE
    assert caught.value.hint is not None
    assert caught.value.hint.endswith(
        "; or remove the project and leave its keyring entry: "
        "zen config remove-project p1 --keep-secret"
    )
    assert config_file.read_bytes() == before
    assert core.remove_project(ctx, "p1", keep_secret=True) == []
    assert _doc(config_file)["storage"]["redis"]["connections"] == {}
    keyring.set_keyring(memory)
    assert keyring.get_password("zen-cli", secrets.scoped_username("p1", config_file)) == "pw-1"


def test_the_local_database_is_beside_the_config_file(tmp_path: Path, home: Path) -> None:
    config = tmp_path / "elsewhere" / "config.json"
    ctx = Context(config, "--config")
    config.parent.mkdir()
    config.write_text(json.dumps({"version": 1}))
    assert core.local_database(ctx) == str(home / ".zen-cli" / defaults.LOCAL_DB_NAME)
    config.write_text(json.dumps({"version": 1, "storage": {"local": {"path": "data/z.db"}}}))
    assert core.local_database(ctx) == str(config.parent / "data" / "z.db")


def _fail_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk refuses the config file (ENOSPC) after the change was decided."""
    import errno

    from zenconfig.configfile import writing

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writing, "write", full)


def test_a_secret_is_taken_back_when_its_file_is_not_written(
    ctx: Context, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zenconfig.core import passwords

    core.add_project(ctx, "p1", {}, PasswordInput(secret="pw-old"), use=True)
    core.add_project(ctx, "p3", {"db": 3}, PasswordInput(env="P3_PW"))
    user = secrets.scoped_username("p1", config_file)
    before = config_file.read_bytes()
    _fail_writes(monkeypatch)
    with pytest.raises(OSError):
        core.add_project(ctx, "p2", {"db": 1}, PasswordInput(secret="pw-new"))
    assert (
        keyring.get_password(defaults.KEYRING_SERVICE, secrets.scoped_username("p2", config_file))
        is None
    )
    with pytest.raises(OSError):  # env -> keyring: the new entry goes with the failed write
        passwords.set_password(ctx, "p3", PasswordInput(secret="pw-3"))
    assert (
        keyring.get_password(defaults.KEYRING_SERVICE, secrets.scoped_username("p3", config_file))
        is None
    )
    with pytest.raises(OSError):  # a rename's copy under the new name goes
        core.rename_project(ctx, "p1", "p9")
    assert (
        keyring.get_password(defaults.KEYRING_SERVICE, secrets.scoped_username("p9", config_file))
        is None
    )
    assert keyring.get_password(defaults.KEYRING_SERVICE, user) == "pw-old"
    assert config_file.read_bytes() == before


def test_null_clears_a_field_and_its_default_applies_again(ctx: Context, config_file: Path) -> None:
    core.add_project(
        ctx, "p1", {"nodes": [{"host": "127.0.0.1", "port": 7000}], "timeouts.connect_seconds": 3}
    )
    assert core.set_field(ctx, "p1", "nodes", "null") == []  # a list: not nullable, but clearable
    assert (
        core.set_field(ctx, "p1", "timeouts.connect_seconds", "null")
        == defaults.CONNECT_TIMEOUT_SECONDS
    )
    entry = _entry(config_file, "p1")
    assert "nodes" not in entry and "timeouts" not in entry  # the emptied table goes too
    assert core.set_field(ctx, "p1", "key_prefix", "null") == "zen:p1:"  # derived from the name
    core.add_project(ctx, "c", {"mode": "cluster", "nodes": [{"host": "127.0.0.1", "port": 7001}]})
    before = config_file.read_bytes()
    with pytest.raises(ConfigError) as caught:  # a cluster needs its nodes
        core.set_field(ctx, "c", "nodes", "null")
    assert caught.value.message == "nodes = 'null' is not valid; nothing was changed"
    assert config_file.read_bytes() == before
