"""File commands and the config file named on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from zenconfig.errors import ExitCode

READING = [
    ("config", "list"),
    ("config", "show", "p1"),
    ("config", "current"),
    ("config", "get", "p1", "port"),
    ("config", "test-connection", "p1"),
    ("config", "edit"),
    ("config", "use", "p1", "--here"),
    ("config", "remove-project", "p1"),
]


@pytest.mark.parametrize("args", READING, ids=[" ".join(a[1:]) for a in READING])
@pytest.mark.parametrize("how", ["--config", "ZEN_CONFIG"])
def test_a_named_config_that_does_not_exist_is_an_error(
    zen, tmp_path: Path, args: tuple[str, ...], how: str
) -> None:
    typo = tmp_path / "typo.json"
    if how == "--config":
        r = zen("--config", str(typo), *args, env={"EDITOR": "true"})
    else:
        r = zen(*args, env={"ZEN_CONFIG": str(typo), "EDITOR": "true"})
    assert r.code == ExitCode.ERROR, r
    assert r.err == (
        f"zen: error: no such config file (named by {how}) ({typo})\n"
        "hint: check the path, or create the file with: zen config init\n"
    )
    assert not typo.exists()


def test_the_default_config_missing_is_no_config_yet(zen, config_file: Path) -> None:
    r = zen("config", "list")
    assert r.code == 0, r
    assert zen("config", "current").out.startswith("memory")
    assert not config_file.exists()


def test_a_named_config_is_created_by_init_only(zen, tmp_path: Path) -> None:
    """A mistyped --config/ZEN_CONFIG must not create a file (and its directories)."""
    new = tmp_path / "typo" / "new.json"
    for argv in (["add-project", "p1"], ["use", "--local"], ["set-password", "p1", "--clear"]):
        r = zen("--config", str(new), "config", *argv)
        assert r.code == 1, r
        assert r.err.startswith(f"zen: error: no such config file (named by --config) ({new})")
    r = zen("config", "add-project", "p1", env={"ZEN_CONFIG": str(new)})
    assert (r.code, "named by ZEN_CONFIG" in r.err) == (1, True)
    assert not new.parent.exists()
    assert zen("--config", str(new), "config", "init").code == 0
    assert zen("--config", str(new), "config", "add-project", "p1").code == 0
    assert zen("--config", str(new), "config", "list").code == 0


def test_validate_of_another_file_says_how_to_edit_that_file(zen, tmp_path) -> None:
    """Hints name the file validated, not the config (`zen config edit` opens the config)."""
    bad = tmp_path / "other config.json"
    bad.write_text('{"version": 1, "storage": {"type": "memory"}, "nope": 1}')
    r = zen("config", "validate", str(bad))
    assert r.code == 3, r
    assert f"hint: fix the keys above, or run: zen --config '{bad}' config edit" in r.err
    r = zen("config", "validate", str(tmp_path / "missing.json"))
    assert r.code == 1 and "hint: check the path" in r.err, r
    r = zen("config", "validate")  # the config itself: as before
    assert r.code == 1 and "hint: create one: zen config init" in r.err, r
