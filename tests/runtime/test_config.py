"""zenconfig.runtime.config: which file is read, and what a missing one means."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zenconfig import configfile
from zenconfig.errors import ConfigError, ExitCode, ZenConfigError
from zenconfig.runtime import config, zenenv


def _write(path: Path, port: int) -> Path:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    connections = {"p1": {"port": port}}
    doc = {"version": 1, "storage": {"type": "memory", "redis": {"connections": connections}}}
    path.write_text(json.dumps(doc))
    return path


def _port(loaded: configfile.Loaded) -> int:
    return loaded.document["storage"]["redis"]["connections"]["p1"]["port"]


def test_the_default_file_missing_is_an_empty_memory_config(tmp_path: Path) -> None:
    loaded = config.read_config(tmp_path / "config.json", "default")
    assert not loaded.exists and not isinstance(loaded, zenenv.FromEnvironment)
    assert loaded.document == configfile.empty_document()
    assert loaded.trust is None


@pytest.mark.parametrize("source", ["--config", "ZEN_CONFIG"])
def test_a_named_file_missing_is_an_error_even_with_zens_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")  # they stand in for the default file only
    missing = tmp_path / "typo.json"
    with pytest.raises(ZenConfigError) as info:
        config.read_config(missing, source)
    error = info.value
    assert (error.message, error.where) == (
        f"no such config file (named by {source})",
        str(missing),
    )
    assert error.hint == "check the path, or create the file with: zen config init"
    assert error.exit_code == ExitCode.ERROR


def test_zens_variables_are_checked_like_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_PORT", "70000")
    path = tmp_path / "config.json"
    with pytest.raises(ConfigError) as info:
        config.read_config(path, "default")
    assert info.value.details == ["  storage.redis.connections.zen.port: must be <= 65535"]
    assert info.value.where == str(path)
    monkeypatch.setenv("REDIS_PORT", "6390")
    loaded = config.read_config(path, "default")
    assert isinstance(loaded, zenenv.FromEnvironment) and not loaded.exists
    assert loaded.document["storage"]["redis"]["connections"]["zen"]["port"] == 6390


def test_an_existing_invalid_file_is_an_invalid_config(tmp_path: Path) -> None:
    path = _write(tmp_path / "config.json", 0)
    with pytest.raises(ConfigError) as info:
        config.read_config(path, "--config")
    assert info.value.exit_code == ExitCode.INVALID_CONFIG
    assert info.value.details == ["  storage.redis.connections.p1.port: must be >= 1"]


def test_load_config_takes_the_argument_then_zen_config_then_the_default(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = _write(home / ".zen-cli" / "config.json", 1001)
    named = _write(tmp_path / "named.json", 1002)
    argument = _write(tmp_path / "argument.json", 1003)
    assert _port(config.load_config()) == 1001
    assert config.load_config().path == default
    monkeypatch.setenv("ZEN_CONFIG", str(named))
    assert _port(config.load_config()) == 1002
    assert _port(config.load_config(argument)) == 1003
    assert _port(config.load_config(str(argument))) == 1003


def test_load_config_reads_the_toml_default_when_only_it_exists(home: Path) -> None:
    path = home / ".zen-cli" / "config.toml"
    path.parent.mkdir(mode=0o700)
    path.write_text("version = 1\n[storage.redis.connections.p1]\nport = 1004\n")
    loaded = config.load_config()
    assert (loaded.path, loaded.exists, _port(loaded)) == (path, True, 1004)
