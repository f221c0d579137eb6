"""zen config doctor: each finding comes from a check that can fail."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring
import keyring.errors

from tests.memkeyring import MemoryKeyring
from zenconfig.errors import ExitCode


class LockedKeyring(MemoryKeyring):
    """A backend that is there, but whose collection is locked."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")


def _config(config_file: Path, conns: dict[str, dict[str, object]] | None = None) -> None:
    config_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    doc = {"version": 1, "storage": {"redis": {"connections": conns or {}}}}
    config_file.write_text(json.dumps(doc))
    config_file.chmod(0o600)


def _findings(r) -> dict[str, list[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    found: dict[str, list[tuple[str, str]]] = {}
    for f in r.json()["findings"]:
        found.setdefault(f["check"], []).append((f["status"], f["detail"]))
    return found


def test_project_file_naming_an_unknown_project_fails(zen, config_file: Path) -> None:
    _config(config_file)
    Path(".zen-project").write_text("ghost\n")
    r = zen("config", "doctor", "--json")
    assert r.code == ExitCode.ERROR
    [(status, detail)] = _findings(r)[".zen-project"]
    assert status == "fail"
    assert "names 'ghost', which is not a project" in detail


def test_symlinked_project_file_is_never_read(zen, config_file: Path, tmp_path: Path) -> None:
    _config(config_file)
    secret = tmp_path / "environ"
    secret.write_text("REDIS_PASSWORD=hunter2\n")
    os.symlink(secret, ".zen-project")
    r = zen("config", "doctor", "--json")
    [(status, detail)] = _findings(r)[".zen-project"]
    assert status == "warn" and "ignored: it is a symlink" in detail
    assert "hunter2" not in r.out + r.err


def test_escape_sequences_in_a_project_file_are_not_echoed(zen, config_file: Path) -> None:
    _config(config_file)
    Path(".zen-project").write_text("\x1b]0;pwned\x07\n")
    r = zen("config", "doctor")
    assert r.code == ExitCode.ERROR
    assert "\x1b" not in r.out + r.err
    assert "FAIL  .zen-project: a .zen-project file holds one project name" in r.out


def test_lower_case_variables_are_named_as_ignored(zen, config_file: Path) -> None:
    _config(config_file)
    r = zen("config", "doctor", "--json", env={"zen_project": "pb"})
    statuses = _findings(r)["environment"]
    assert ("warn", "zen_project is ignored (names are upper case: ZEN_PROJECT)") in statuses


def test_locked_keyring_is_not_usable(zen, config_file: Path) -> None:
    _config(config_file)
    keyring.set_keyring(LockedKeyring())
    r = zen("config", "doctor", "--json")
    [(status, detail)] = _findings(r)["keyring"]
    assert status == "warn"  # no project uses the keyring
    assert "locked" in detail


def test_overlapping_prefixes_are_checked(zen, config_file: Path) -> None:
    _config(config_file, {"a": {"key_prefix": "zen:a:"}})
    r = zen("config", "doctor", "--json")
    assert _findings(r)["prefixes"] == [
        ("ok", "no two projects on one server share or nest a key prefix")
    ]


def test_local_database_is_checked_when_in_use(zen, config_file: Path) -> None:
    assert zen("config", "init").code == 0
    assert zen("config", "use", "--local").code == 0
    r = zen("--local", "storage", "stats")
    assert r.code == 0, r
    r = zen("config", "doctor", "--json")
    local = [
        f for name, fs in _findings(r).items() if name.startswith("local database") for f in fs
    ]
    assert local and all(status == "ok" for status, _ in local)
    assert ("ok", "PRAGMA integrity_check: ok") in local
    assert ("ok", "WAL") in local


def test_a_named_config_that_does_not_exist_fails(zen, tmp_path: Path) -> None:
    r = zen("--config", str(tmp_path / "typo.json"), "config", "doctor", "--json")
    assert r.code == ExitCode.ERROR
    [(status, detail)] = _findings(r)["config file"]
    assert (status, detail) == (
        "fail",
        f"{tmp_path / 'typo.json'} does not exist (named by --config)",
    )
