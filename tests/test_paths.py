"""zenconfig.paths: which config file is used and why, the names beside it, the
nearest .zen-project, and timeouts read from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from zenconfig import paths


def test_explicit_beats_the_environment_beats_the_default(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = home / ".zen-cli" / "config.json"
    assert paths.config_path() == (default, "default")
    monkeypatch.setenv(paths.ENV_CONFIG, "~/from-env.toml")
    assert paths.config_path() == (home / "from-env.toml", "ZEN_CONFIG")
    assert paths.config_path("~/flag.json") == (home / "flag.json", "--config")
    assert paths.config_path("") == (home / "from-env.toml", "ZEN_CONFIG")  # empty: not given
    monkeypatch.setenv(paths.ENV_CONFIG, "")
    assert paths.config_path() == (default, "default")


def test_the_default_is_toml_only_when_only_toml_exists(home: Path) -> None:
    directory = home / paths.CONFIG_DIR_NAME
    directory.mkdir()
    json_path, toml_path = directory / "config.json", directory / "config.toml"
    assert paths.default_config_path() == json_path
    toml_path.write_text("version = 1\n")
    assert paths.default_config_path() == toml_path
    json_path.write_text('{"version": 1}')
    assert paths.default_config_path() == json_path


def test_names_beside_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "dir.d" / "my.config.TOML"
    assert paths.is_toml(config)
    assert not paths.is_toml(tmp_path / "config.json")
    assert not paths.is_toml(tmp_path / "toml")
    assert paths.backup_path(config) == tmp_path / "dir.d" / "my.config.TOML.bak"
    assert paths.lock_path(config) == tmp_path / "dir.d" / "my.config.TOML.lock"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.25", 0.25),
        ("86400", 86400.0),
        ("3", 3.0),
        ("", 7.0),
        ("0", 7.0),
        ("-1", 7.0),
        ("86400.5", 7.0),
        ("nan", 7.0),
        ("inf", 7.0),
        ("soon", 7.0),
        (None, 7.0),
    ],
)
def test_seconds_from_the_environment(
    raw: str | None, expected: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Positive, finite and at most a day; anything else (or nothing) is the default."""
    if raw is None:
        monkeypatch.delenv(paths.ENV_LOCK_TIMEOUT, raising=False)
    else:
        monkeypatch.setenv(paths.ENV_LOCK_TIMEOUT, raw)
    assert paths.float_from_env(paths.ENV_LOCK_TIMEOUT, 7.0) == expected
