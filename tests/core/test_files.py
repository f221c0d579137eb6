"""zenconfig.core.files: init's choice of file, validate_file, edit's guards, migrate's hint."""

from __future__ import annotations

import json
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from tests.conftest import FIXTURES
from zenconfig import schema
from zenconfig.core import files
from zenconfig.core.common import Context
from zenconfig.errors import ExitCode, SecretUnavailableError, UsageError, ZenConfigError


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where edit's temporary copies go (tempfile's documented directory setting)."""
    directory = tmp_path / "scratch"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


def _editor(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "editor.py"
    script.write_text(f"import sys, pathlib\np = pathlib.Path(sys.argv[1])\n{body}\n")
    return [sys.executable, str(script)]


def test_init_refuses_a_format_that_contradicts_a_named_file(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "zen.json"
    with pytest.raises(UsageError) as info:
        files.init(Context(path, "--config"), fmt="toml")
    assert info.value.message == f"--format toml does not match the file name {path}"
    assert not path.parent.exists()
    created, schema_path, note = files.init(Context(path, "--config"), fmt="json")
    assert (created, schema_path) == (path, path.parent / "zen-config.schema.json")
    assert note == files.KEEP_CONVERSATIONS


def test_init_picks_the_default_name_by_format_and_never_makes_a_second(home: Path) -> None:
    path, schema_path, _ = files.init(Context.create(), fmt="toml")
    assert path == home / ".zen-cli" / "config.toml"
    assert path.read_text().startswith("#:schema ./zen-config.schema.json\n")
    assert schema_path.read_text() == schema.shipped()
    assert stat.S_IMODE(schema_path.stat().st_mode) == 0o600
    for force in (False, True):  # --force replaces a file, never hides one behind another
        with pytest.raises(ZenConfigError) as info:
            files.init(Context.create(), fmt="json", force=force)
        assert info.value.message == "config.toml is already the config file here"
        assert info.value.where == str(path)
        assert info.value.hint == f"keep it; to start over in the other format, remove {path} first"
    assert not path.with_suffix(".json").exists()


def test_validate_file_checks_the_named_file_with_the_models(
    tmp_path: Path, write_config: Callable[..., Path]
) -> None:
    missing = Context(tmp_path / "missing.json", "--config")
    with pytest.raises(ZenConfigError) as info:
        files.validate_file(missing)
    assert (info.value.message, info.value.where) == ("no such file", str(missing.config_path))
    assert info.value.hint == "create one: zen config init"
    named = write_config({"p1": {"port": 7001}}, default="p1")
    config = files.validate_file(missing, named)  # the file argument wins over the context's
    assert config.connections["p1"].port == 7001


def test_edit_can_repair_a_broken_file_and_creates_none_on_failure(
    config_file: Path, tmp_path: Path, scratch: Path
) -> None:
    config_file.parent.mkdir(mode=0o700)
    broken = '{"version": 1, "storage": {"type": "memory",}}'
    config_file.write_text(broken)
    failing = [sys.executable, "-c", "import sys; sys.exit(3)"]
    with pytest.raises(ZenConfigError) as info:
        files.edit(Context.create(), failing)
    assert info.value.message == "the editor exited with status 3; nothing saved"
    with pytest.raises(ZenConfigError) as info:
        files.edit(Context.create(), [str(tmp_path / "no-such-editor")])
    assert info.value.message == (
        f"cannot start the editor {tmp_path / 'no-such-editor'}: No such file or directory"
    )
    assert list(scratch.iterdir()) == []
    assert config_file.read_text() == broken
    fix = _editor(tmp_path, "p.write_text(p.read_text().replace(',}', '}'))")
    assert files.edit(Context.create(), fix) is True  # an invalid file is what one edits
    assert json.loads(config_file.read_text()) == {"version": 1, "storage": {"type": "memory"}}
    assert list(scratch.iterdir()) == []


def test_edit_starts_from_an_empty_document_when_there_is_no_file(
    config_file: Path, tmp_path: Path, scratch: Path
) -> None:
    editor = _editor(tmp_path, "p.write_text(p.read_text().replace('memory', 'local', 1))")
    assert files.edit(Context.create(), editor) is True
    storage = json.loads(config_file.read_text())["storage"]
    assert (storage["type"], storage["fallback"]) == ("local", "memory")
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_file.parent.stat().st_mode) == 0o700


def test_edit_never_overwrites_a_change_made_meanwhile(
    write_config: Callable[..., Path], tmp_path: Path, scratch: Path
) -> None:
    path = write_config({"p1": {"port": 7000}}, default="p1")
    other = str(path).replace("'", "\\'")
    editor = _editor(
        tmp_path,
        "p.write_text(p.read_text().replace('7000', '7001'))\n"
        f"o = pathlib.Path('{other}')\n"
        "o.write_text(o.read_text().replace('7000', '7002'))  # another process, meanwhile",
    )
    with pytest.raises(ZenConfigError) as info:
        files.edit(Context.create(str(path)), editor)
    assert info.value.message == "the file changed while you were editing; not saved"
    assert info.value.where == str(path)
    [kept] = scratch.iterdir()
    assert info.value.hint == f"your edit is kept in {kept}"
    edited = json.loads(kept.read_text())
    assert edited["storage"]["redis"]["connections"]["p1"]["port"] == 7001
    assert json.loads(path.read_text())["storage"]["redis"]["connections"]["p1"]["port"] == 7002


def test_migrate_without_a_keyring_says_how_to_go_on(config_file: Path) -> None:
    keyring.set_keyring(fail.Keyring())  # the isolated fixture puts the memory keyring back
    config_file.parent.mkdir(mode=0o700)
    shutil.copy(FIXTURES / "migrations" / "legacy" / "old.json", config_file)
    before = config_file.read_bytes()
    with pytest.raises(SecretUnavailableError) as info:
        files.migrate(Context.create())
    assert info.value.exit_code == ExitCode.KEYRING_UNAVAILABLE
    assert info.value.hint is not None
    assert info.value.hint.startswith("migrate moves each password into the keyring")
    assert "zen config set-password NAME --password-env VAR" in info.value.hint
    assert config_file.read_bytes() == before
