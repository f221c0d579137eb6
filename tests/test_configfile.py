"""Reading, validating and writing the config file."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from zenconfig import configfile
from zenconfig.errors import ConfigError, ExitCode, LockTimeoutError

CORPUS = [
    line.split("\t")
    for line in (FIXTURES / "malformed.expected").read_text().splitlines()
    if line.strip()
]


@pytest.mark.parametrize(("name", "message", "where"), CORPUS, ids=[c[0] for c in CORPUS])
def test_malformed_corpus_names_the_location(zen, name: str, message: str, where: str) -> None:
    path = FIXTURES / "malformed" / name
    r = zen("config", "validate", str(path))
    assert r.code == ExitCode.INVALID_CONFIG, r
    assert "Traceback" not in r.err + r.out
    assert r.out == ""
    assert r.err.startswith("zen: error: ")
    assert message in r.err
    assert f"({path.parent}/{where}" in r.err


def test_every_malformed_file_is_in_the_corpus() -> None:
    listed = {c[0] for c in CORPUS}
    assert listed == {p.name for p in (FIXTURES / "malformed").iterdir()}


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    conns = {"p1": {"port": 0, "db": -1, "max_turns": 0}}
    path.write_text(json.dumps({"version": 1, "storage": {"redis": {"connections": conns}}}))
    with pytest.raises(ConfigError) as info:
        configfile.load(path)
    assert info.value.details == [
        "  storage.redis.connections.p1.port: must be >= 1",
        "  storage.redis.connections.p1.db: must be >= 0",
        "  storage.redis.connections.p1.max_turns: must be >= 1",
    ]


def test_missing_file_is_an_empty_memory_config(tmp_path: Path) -> None:
    loaded = configfile.load(tmp_path / "none.json")
    assert not loaded.exists
    assert loaded.config.storage.type == "memory"


def test_write_is_atomic_private_and_keeps_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "config.json"
    first = configfile.empty_document()
    with configfile.locked(path):
        configfile.write(path, first)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    second = json.loads(json.dumps(first))
    second["storage"]["fallback"] = "error"
    with configfile.locked(path):
        configfile.write(path, second)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    backup = path.with_name("config.json.bak")
    assert json.loads(backup.read_text()) == first
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == second
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "config.json",
        "config.json.bak",
        "config.json.lock",
    ]


def test_invalid_document_is_never_written(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    with configfile.locked(path):
        configfile.write(path, configfile.empty_document())
    before = path.read_bytes()
    bad = configfile.empty_document()
    bad["storage"]["type"] = "redis"
    with pytest.raises(ConfigError), configfile.locked(path):
        configfile.write(path, bad)
    assert path.read_bytes() == before


def test_write_follows_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "zen.json"
    real.parent.mkdir()
    real.write_text(json.dumps(configfile.empty_document()))
    link = tmp_path / "config.json"
    link.symlink_to(real)
    configfile.update(link, lambda doc: doc["storage"].update(fallback="error"))
    assert link.is_symlink()
    assert json.loads(real.read_text())["storage"]["fallback"] == "error"


def test_toml_round_trip_drops_nulls_and_keeps_schema_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    doc = configfile.empty_document("./zen-config.schema.json")
    doc["storage"]["redis"]["connections"]["p1"] = {"host": "h", "username": None}
    with configfile.locked(path):
        configfile.write(path, doc)
    text = path.read_text()
    assert text.startswith("#:schema ./zen-config.schema.json\n")
    assert "username" not in text
    loaded = configfile.load(path)
    assert loaded.toml_schema == "./zen-config.schema.json"
    assert loaded.config.connections["p1"].host == "h"


def test_lock_timeout_names_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    configfile.ensure_private_dir(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from pathlib import Path; from zenconfig import configfile\n"
                "with configfile.locked(Path(sys.argv[1])):\n"
                "    print('held', flush=True); time.sleep(30)\n"
            ),
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        started = time.monotonic()
        with pytest.raises(LockTimeoutError) as info, configfile.locked(path, timeout=0.3):
            pass
        assert time.monotonic() - started < 5
        assert info.value.where == str(tmp_path / "config.json.lock")
    finally:
        holder.kill()
        holder.wait()
    # the kernel released the dead holder's lock: nothing stale is left to wedge us
    with configfile.locked(path, timeout=2):
        pass


def test_unreadable_file_is_a_clean_error(tmp_path: Path) -> None:
    if os.getuid() == 0:
        pytest.skip("root reads any file")
    path = tmp_path / "config.json"
    path.write_text("{}")
    path.chmod(0)
    with pytest.raises(ConfigError, match="permission denied"):
        configfile.load(path)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs of our own (tests run as root; skipped where mounting is not allowed)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(directory: Path) -> None:
    with (directory / "filler").open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as e:
            assert e.errno == errno.ENOSPC


def test_a_full_disk_is_a_message_naming_the_file(zen, small_disk: Path) -> None:
    path = small_disk / "config.json"
    assert zen("--config", str(path), "config", "init").code == 0
    before = path.read_bytes()
    _fill(small_disk)
    r = zen("--config", str(path), "config", "add-project", "p9", "--port", "7000")
    assert r.code == ExitCode.ERROR, r
    assert r.err.startswith(f"zen: error: cannot write the file: No space left on device ({path})")
    assert "hint: nothing was changed" in r.err
    assert "internal error" not in r.err
    assert path.read_bytes() == before
    assert not [p for p in small_disk.iterdir() if p.name.endswith(".tmp")]


def test_a_read_only_disk_is_a_message_naming_the_file(zen, small_disk: Path) -> None:
    path = small_disk / "config.json"
    assert zen("--config", str(path), "config", "init").code == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    r = zen("--config", str(path), "config", "add-project", "p9")
    assert r.code == ExitCode.ERROR, r
    assert r.err.startswith(f"zen: error: cannot lock the file: Read-only file system ({path})")
    assert "internal error" not in r.err
    assert zen("--config", str(path), "config", "list").code == 0  # reading still works


def test_any_os_error_when_writing_names_the_file(zen, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    path = blocker / "config.json"
    r = zen("--config", str(path), "config", "init")
    assert r.code == ExitCode.ERROR, r
    assert r.err.startswith(f"zen: error: cannot write the file: Not a directory ({path})")
    assert "internal error" not in r.err


def test_the_backup_is_private_whatever_the_old_mode(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(configfile.empty_document()))
    path.chmod(0o644)
    old_backup = path.with_name("config.json.bak")
    old_backup.write_text("{}")
    old_backup.chmod(0o644)
    configfile.update(path, lambda doc: doc["storage"].update(fallback="error"))
    assert stat.S_IMODE(old_backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(old_backup.read_text()) == configfile.empty_document()


@pytest.mark.parametrize("name", ["config.json", "config.toml"])
def test_a_file_made_by_any_command_points_at_its_schema(tmp_path: Path, name: str) -> None:
    """Not only init: the first write of a file puts the schema beside it, for editors."""
    path = tmp_path / "new" / name
    configfile.update(path, lambda doc: doc["storage"].update(type="local"))
    beside = path.parent / "zen-config.schema.json"
    assert json.loads(beside.read_text())["$schema"].startswith("http://json-schema.org/")
    text = path.read_text()
    if name.endswith(".toml"):
        assert text.splitlines()[0] == "#:schema ./zen-config.schema.json"
    else:
        assert next(iter(json.loads(text))) == "$schema"
        assert json.loads(text)["$schema"] == "./zen-config.schema.json"
    assert configfile.load(path).document["storage"]["type"] == "local"
