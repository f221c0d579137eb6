"""zenconfig.runtime.explain: every layer's say, and which layer's error matters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zenconfig import configfile
from zenconfig.errors import ConfigError, UsageError
from zenconfig.runtime import explain
from zenconfig.runtime.resolver import DEFAULT, LAYERS, Choice, Request, Selection

BAD_PROJECT_FILE = "a .zen-project file holds one project name and nothing else"


@pytest.fixture
def loaded(tmp_path: Path) -> configfile.Loaded:
    """storage.type memory, but a default project p2 (for a layer that asks for Redis)."""
    path = tmp_path / "config.json"
    connections = {"p1": {}, "p2": {"port": 6380}}
    doc = {"version": 1, "storage": {"redis": {"default": "p2", "connections": connections}}}
    path.write_text(json.dumps(doc))
    return configfile.load(path)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A directory whose .zen-project is malformed."""
    directory = tmp_path / "repo"
    directory.mkdir(mode=0o700)
    (directory / ".zen-project").write_text("bad name!\n")
    return directory


def test_layers_say_what_each_layer_says_shadowed_or_not(
    loaded: configfile.Loaded, tmp_path: Path
) -> None:
    (tmp_path / ".zen-project").write_text("p1\n")
    env = {"ZEN_STORAGE_TYPE": "local"}
    found = explain.layers(Request(project="p2"), loaded, cwd=tmp_path, environ=env)
    path = loaded.path
    assert found == [
        ("flag", Choice("flag", "--project p2", "redis", "p2")),
        ("env", Choice("env", "ZEN_STORAGE_TYPE=local", "local")),
        ("project-file", Choice("project-file", str(tmp_path / ".zen-project"), "redis", "p1")),
        (
            "config",
            Choice(
                "config",
                f"storage.type 'memory' in {path}",
                "memory",
                "p2",
                f"storage.redis.default in {path}",
            ),
        ),
        ("default", DEFAULT),
    ]
    assert tuple(name for name, _ in found) == LAYERS


def test_a_layer_that_fails_is_reported_and_the_others_still_read(
    loaded: configfile.Loaded, repo: Path
) -> None:
    env = {"ZEN_STORAGE_TYPE": "bogus"}
    found = dict(explain.layers(Request(memory=True, local=True), loaded, cwd=repo, environ=env))
    assert isinstance(found["flag"], UsageError)
    assert found["flag"].message == "--memory and --local exclude each other; give one"
    assert isinstance(found["env"], UsageError)
    assert "not 'bogus'" in found["env"].message
    assert isinstance(found["project-file"], ConfigError)
    assert found["project-file"].message == BAD_PROJECT_FILE
    assert isinstance(found["config"], Choice) and found["default"] == DEFAULT


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {"ZEN_STORAGE_TYPE": "memory"},
            Selection("memory", None, "env", "ZEN_STORAGE_TYPE=memory"),
        ),
        (
            {"ZEN_STORAGE_TYPE": "redis", "ZEN_PROJECT": "p1"},
            Selection("redis", "p1", "env", "ZEN_STORAGE_TYPE=redis ZEN_PROJECT=p1"),
        ),
        ({"ZEN_STORAGE_TYPE": "redis"}, BAD_PROJECT_FILE),  # the project comes from below
        ({}, BAD_PROJECT_FILE),  # nothing above it decided
    ],
)
def test_a_layers_error_matters_only_when_the_answer_needs_that_layer(
    loaded: configfile.Loaded, repo: Path, environ: dict[str, str], expected: object
) -> None:
    if isinstance(expected, Selection):
        assert explain.resolve(Request(), loaded, cwd=repo, environ=environ) == expected
    else:
        with pytest.raises(ConfigError) as info:
            explain.resolve(Request(), loaded, cwd=repo, environ=environ)
        assert (info.value.message, info.value.where) == (expected, str(repo / ".zen-project"))


def test_redis_asked_above_takes_the_project_named_below(
    loaded: configfile.Loaded, tmp_path: Path
) -> None:
    chosen = explain.resolve(Request(), loaded, cwd=tmp_path, environ={"ZEN_STORAGE_TYPE": "redis"})
    assert chosen == Selection(
        "redis", "p2", "env", f"ZEN_STORAGE_TYPE=redis; storage.redis.default in {loaded.path}"
    )
    nothing = configfile.load(tmp_path / "absent.json")
    with pytest.raises(UsageError) as info:
        explain.resolve(Request(), nothing, cwd=tmp_path, environ={"ZEN_STORAGE_TYPE": "redis"})
    assert info.value.message == "ZEN_STORAGE_TYPE=redis asks for Redis, but no project is chosen"
    assert explain.resolve(Request(), nothing, cwd=tmp_path, environ={}) == Selection(
        "memory", None, "default", "the default; no config file"
    )
