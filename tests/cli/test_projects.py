"""Project commands about files and secrets: rename, remove, passwords, messages."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest

from tests.conftest import FIXTURES
from zenconfig import secrets
from zenconfig.errors import ExitCode


def _write(path: Path, connections: dict, default: str | None = None) -> None:
    redis: dict = {"connections": connections}
    if default:
        redis["default"] = default
    doc = {"version": 1, "storage": {"type": "redis" if default else "memory", "redis": redis}}
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    path.chmod(0o600)


def test_rename_keeps_a_derived_prefix(zen, config_file: Path) -> None:
    """A prefix never written (derived from the name) must not change with the name."""
    _write(config_file, {"p1": {"host": "127.0.0.1"}}, default="p1")
    assert zen("config", "get", "p1", "key_prefix").out == "zen:p1:\n"
    r = zen("config", "rename-project", "p1", "p2")
    assert r.code == 0, r
    assert "key prefix 'zen:p1:' written into the entry" in r.err
    assert "the key prefix is unchanged" in r.err
    assert zen("config", "get", "p2", "key_prefix").out == "zen:p1:\n"
    entry = json.loads(config_file.read_text())["storage"]["redis"]["connections"]["p2"]
    assert entry["key_prefix"] == "zen:p1:"


def test_rename_of_an_unknown_project(zen, config_file: Path) -> None:
    _write(config_file, {"p1": {}})
    r = zen("config", "rename-project", "nope", "p2")
    assert r.code == ExitCode.ERROR
    assert "unknown project 'nope'" in r.err


# -- keyring entries are scoped to their config file -----------------------------


def _user(name: str, config: Path) -> str:
    return secrets.scoped_username(name, config)


def _reveal(zen, config: Path, name: str) -> str:
    r = zen("--config", str(config), "config", "show", name, "--reveal", "--json")
    assert r.code == 0, r
    return r.json()["password"]["value"]


def test_two_config_files_never_share_a_secret(zen, config_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "other" / "config.json"
    assert zen("config", "add-project", "p1", "--password-stdin", input="first\n").code == 0
    assert zen("config", "init", env={"ZEN_CONFIG": str(other)}).code == 0
    r = zen(
        "config",
        "add-project",
        "p1",
        "--password-stdin",
        input="second\n",
        env={"ZEN_CONFIG": str(other)},
    )
    assert r.code == 0, r
    assert _reveal(zen, config_file, "p1") == "first"
    assert _reveal(zen, other, "p1") == "second"
    assert keyring.get_password("zen-cli", _user("p1", config_file)) == "first"
    assert keyring.get_password("zen-cli", _user("p1", other)) == "second"
    r = zen("--config", str(other), "config", "remove-project", "p1")
    assert r.code == 0, r
    assert _reveal(zen, config_file, "p1") == "first"
    assert keyring.get_password("zen-cli", _user("p1", other)) is None


def test_another_home_on_the_same_keyring(zen, config_file: Path, tmp_path: Path) -> None:
    second_home = tmp_path / "home2"
    second_home.mkdir()
    zen("config", "add-project", "p1", "--password-stdin", input="mine\n")
    r = zen(
        "config",
        "add-project",
        "p1",
        "--password-stdin",
        input="theirs\n",
        env={"HOME": str(second_home)},
    )
    assert r.code == 0, r
    assert _reveal(zen, config_file, "p1") == "mine"
    assert (
        zen(
            "config", "set-password", "p1", "--password-env", "X_PW", env={"HOME": str(second_home)}
        ).code
        == 0
    )
    assert _reveal(zen, config_file, "p1") == "mine"


def test_migrate_elsewhere_leaves_this_files_secret(zen, config_file: Path, tmp_path: Path) -> None:
    zen("config", "add-project", "project1", "--password-stdin", input="mine\n")
    legacy = tmp_path / "legacy" / "config.json"
    legacy.parent.mkdir(mode=0o700)
    legacy.write_text((FIXTURES / "migrations" / "legacy" / "old.json").read_text())
    r = zen("--config", str(legacy), "config", "migrate")
    assert r.code == 0, r
    assert f"zen-cli/{_user('project1', legacy)}" in r.err
    assert _reveal(zen, config_file, "project1") == "mine"
    assert _reveal(zen, legacy, "project1") == "p1-s3cret"


def test_a_moved_file_keeps_its_secret(zen, config_file: Path, tmp_path: Path) -> None:
    zen("config", "add-project", "p1", "--password-stdin", input="pw-1\n")
    moved = tmp_path / "moved.json"
    config_file.rename(moved)
    assert _reveal(zen, moved, "p1") == "pw-1"


def test_rename_moves_this_files_entry(zen, config_file: Path) -> None:
    zen("config", "add-project", "a", "--password-stdin", input="pw-a\n")
    r = zen("config", "rename-project", "a", "b")
    assert r.code == 0, r
    assert f"keyring entry moved to zen-cli/{_user('b', config_file)}" in r.err
    assert keyring.get_password("zen-cli", _user("b", config_file)) == "pw-a"
    assert keyring.get_password("zen-cli", _user("a", config_file)) is None
    assert _reveal(zen, config_file, "b") == "pw-a"


def _legacy_entry(config_file: Path, name: str, secret: str) -> None:
    """A project whose password is an unscoped entry of an older version."""
    _write(config_file, {name: {"password": {"source": "keyring", "username": name}}})
    keyring.set_password("zen-cli", name, secret)


def test_rename_copies_an_entry_it_does_not_own(zen, config_file: Path) -> None:
    _legacy_entry(config_file, "a", "shared-pw")
    r = zen("config", "rename-project", "a", "b")
    assert r.code == 0, r
    assert f"keyring entry copied to zen-cli/{_user('b', config_file)}" in r.err
    assert "keyring entry zen-cli/a was left: it was not created for this config file" in r.err
    assert keyring.get_password("zen-cli", "a") == "shared-pw"
    assert _reveal(zen, config_file, "b") == "shared-pw"


def test_remove_leaves_an_entry_it_does_not_own(zen, config_file: Path) -> None:
    _legacy_entry(config_file, "a", "shared-pw")
    r = zen("config", "remove-project", "a")
    assert r.code == 0, r
    assert "keyring entry zen-cli/a was left: it was not created for this config file" in r.err
    assert "keyring del zen-cli a" in r.err
    assert keyring.get_password("zen-cli", "a") == "shared-pw"


def test_a_new_secret_never_overwrites_an_entry_it_does_not_own(zen, config_file: Path) -> None:
    _legacy_entry(config_file, "a", "shared-pw")
    r = zen("config", "set-password", "a", "--password-stdin", input="new-pw\n")
    assert r.code == 0, r
    assert keyring.get_password("zen-cli", "a") == "shared-pw"
    assert "keyring entry zen-cli/a was left" in r.err
    assert _reveal(zen, config_file, "a") == "new-pw"


def test_switching_source_deletes_this_files_entry(zen, config_file: Path) -> None:
    zen("config", "add-project", "a", "--password-stdin", input="pw-a\n")
    r = zen("config", "set-password", "a", "--password-env", "A_PW")
    assert r.code == 0, r
    assert f"keyring entry zen-cli/{_user('a', config_file)} deleted" in r.err
    assert keyring.get_password("zen-cli", _user("a", config_file)) is None
    assert r.err.endswith("zen: password of 'a' updated (env:A_PW)\n")


def test_clear_a_password(zen, config_file: Path) -> None:
    zen("config", "add-project", "a", "--password-stdin", input="pw-a\n")
    r = zen("config", "set-password", "a", "--clear")
    assert r.code == 0, r
    assert f"keyring entry zen-cli/{_user('a', config_file)} deleted" in r.err
    assert r.err.endswith("zen: password of 'a' cleared (none)\n")
    assert keyring.get_password("zen-cli", _user("a", config_file)) is None
    entry = json.loads(config_file.read_text())["storage"]["redis"]["connections"]["a"]
    assert "password" not in entry
    r = zen("config", "set-password", "a", "--clear", "--password-env", "X")
    assert r.code == ExitCode.USAGE
    assert "--clear takes no password source" in r.err


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("redis://h/0?password=hunter2-x", " (query parameter 'password')"),
        ("redis://h:6379/0?db=1&requirepass=hunter2-x", " (query parameter 'requirepass')"),
        ("redis://h/0?Auth_Token=hunter2-x", " (query parameter 'Auth_Token')"),
        ("redis://:hunter2-x@h/0", ""),
        ("redis://h/0#hunter2-x", ""),
    ],
)
def test_a_password_anywhere_in_the_url_is_refused(zen, config_file: Path, url, where) -> None:
    r = zen("config", "add-project", "u", "--url", url)
    assert r.code == ExitCode.USAGE, r
    assert r.err.startswith(f"zen: error: --url contains a password{where}; passwords are never")
    assert "hunter2-x" not in r.err + r.out
    assert not config_file.exists()


def test_other_url_query_parameters_are_refused(zen, config_file: Path) -> None:
    r = zen("config", "add-project", "u", "--url", "redis://h/0?socket_timeout=3")
    assert r.code == ExitCode.USAGE, r
    assert r.err.startswith("zen: error: --url takes no query parameters (they would be ignored)")
    assert not config_file.exists()


# -- reading a new password ----------------------------------------------------------


def test_password_stdin_at_a_terminal_is_refused(home: Path, config_file: Path) -> None:
    """It would wait with no prompt and echo what is typed."""
    import os
    import subprocess
    import sys

    leader, follower = os.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "zenconfig", "config", "add-project", "p1", "--password-stdin"],
            stdin=follower,
            capture_output=True,
            text=True,
            env={**os.environ, "HOME": str(home)},
            timeout=30,
        )
    finally:
        os.close(leader)
        os.close(follower)
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert done.stderr.startswith(
        "zen: error: --password-stdin reads a pipe, but standard input is a terminal"
    )
    assert "hint: use --ask-password for a hidden prompt" in done.stderr
    assert not config_file.exists()


def test_ask_password_checks_the_keyring_before_prompting(zen, config_file: Path) -> None:
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    r = zen("config", "add-project", "p1", "--ask-password", input="pw-typed\npw-typed\n")
    assert r.code == ExitCode.KEYRING_UNAVAILABLE, r
    assert r.err.startswith("zen: error: no usable keyring backend")
    assert "Password" not in r.out + r.err  # never prompted
    assert not config_file.exists()
    r = zen("config", "set-password", "p1", "--password-stdin", input="pw-typed\n")
    assert r.code == ExitCode.ERROR
    assert "unknown project 'p1'" in r.err


def test_ask_password_checks_the_name_before_prompting(zen, config_file: Path) -> None:
    assert zen("config", "add-project", "p1").code == 0
    r = zen("config", "add-project", "p1", "--ask-password", input="pw\npw\n")
    assert r.code == ExitCode.ERROR, r
    assert r.err.startswith("zen: error: project 'p1' already exists")
    assert "Password" not in r.out + r.err
    r = zen("config", "add-project", "bad name", "--ask-password", input="pw\npw\n")
    assert r.code == ExitCode.USAGE
    assert "Password" not in r.out + r.err


# -- messages that name what the user typed -------------------------------------------


def test_a_bad_flag_value_names_the_flag(zen, config_file: Path) -> None:
    assert zen("config", "init").code == 0
    before = config_file.read_text()
    r = zen("config", "add-project", "p9", "--port", "70000")
    assert (r.code, r.err) == (
        ExitCode.USAGE,
        "zen: error: --port 70000: must be <= 65535\nhint: nothing was written\n",
    )
    r = zen("config", "add-project", "p9", "--url", "redis://h:1/99", "--ttl", "0")
    assert r.code == ExitCode.USAGE
    assert r.err.startswith("zen: error: --url (db): must be <= 15\n  --ttl 0: must be >= 1\n")
    r = zen("config", "add-project", "p9", "--mode", "sentinel")
    assert r.code == ExitCode.USAGE
    assert r.err.startswith(
        "zen: error: --sentinel: required when mode is 'sentinel'\n"
        "  --service-name: required when mode is 'sentinel'\n"
    )
    assert "zen config edit" not in r.err
    assert config_file.read_text() == before


def test_edit_with_a_syntax_error_names_the_edited_copy(zen, config_file: Path, tmp_path) -> None:
    import sys

    assert zen("config", "add-project", "p1").code == 0
    before = config_file.read_text()
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('\"port\": 6379,', '\"port\": 6379,,', 1))\n"
    )
    r = zen("config", "edit", env={"EDITOR": f"{sys.executable} {script}", "VISUAL": ""})
    assert r.code == ExitCode.INVALID_CONFIG, r
    kept = r.err.split("your edit is kept in ")[1].split(";")[0]
    line = next(i for i, t in enumerate(Path(kept).read_text().splitlines(), 1) if ",," in t)
    column = Path(kept).read_text().splitlines()[line - 1].index(",,") + 2
    assert r.err.startswith(
        "zen: error: not saved: invalid JSON: Expecting property name enclosed in double quotes "
        f"({kept}:{line}:{column})"
    )
    assert f"({config_file} was not changed)" in r.err
    assert config_file.read_text() == before
