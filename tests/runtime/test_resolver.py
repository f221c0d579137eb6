"""The resolver: the precedence table, and the fast resolver against the
pydantic-settings statement of the same precedence on generated inputs."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zenconfig import configfile
from zenconfig.errors import ConfigError, UnknownProjectError, UsageError
from zenconfig.runtime import explain, resolver
from zenconfig.runtime.resolver import Request

NAMES = ["p1", "p2", "zz"]


def _config(home: Path, doc: dict[str, Any] | None) -> configfile.Loaded:
    path = home / "config.json"
    if doc is not None:
        path.write_text(json.dumps(doc))
    return configfile.load(path)


def _doc(kind: str, conns: list[str], default: str | None) -> dict[str, Any]:
    redis: dict[str, Any] = {"connections": {n: {"port": 6379 + i} for i, n in enumerate(conns)}}
    if default is not None:
        redis["default"] = default
    return {"version": 1, "storage": {"type": kind, "redis": redis}}


def _both(
    request: Request, loaded: configfile.Loaded, cwd: Path, environ: dict[str, str]
) -> tuple[Any, Any]:
    def run(fn: Any) -> Any:
        try:
            found = fn()
        except (UsageError, UnknownProjectError, ConfigError) as e:
            return type(e).__name__
        return (found.backend, found.project, found.source)

    fast = run(lambda: resolver.resolve(request, lambda: loaded, cwd=cwd, environ=environ))
    full = run(lambda: explain.resolve(request, loaded, cwd=cwd, environ=environ))
    return fast, full


configs = st.one_of(
    st.none(),
    st.builds(
        lambda conns, kind, pick: _doc(
            kind, conns, (conns[pick % len(conns)] if conns and (kind == "redis" or pick) else None)
        ),
        st.lists(st.sampled_from(NAMES[:2]), unique=True, max_size=2),
        st.sampled_from(["memory", "redis", "local"]),
        st.integers(0, 3),
    ).filter(lambda d: d["storage"]["type"] != "redis" or d["storage"]["redis"].get("default")),
)
requests = st.builds(
    Request,
    project=st.one_of(st.none(), st.sampled_from(NAMES)),
    memory=st.booleans(),
    local=st.booleans(),
)
environs = st.fixed_dictionaries(
    {},
    optional={
        "ZEN_STORAGE_TYPE": st.sampled_from(
            ["", "memory", "local", "file", "redis", "REDIS", " memory ", "bogus"]
        ),
        "ZEN_PROJECT": st.sampled_from(["", *NAMES]),
    },
)
project_files = st.one_of(
    st.none(),
    st.tuples(
        st.sampled_from(["here", "parent", "untrusted"]),
        st.sampled_from([*NAMES, "two\nnames", "bad name!"]),
    ),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs, requests, environs, project_files)
def test_fast_resolver_agrees_with_pydantic_settings(
    doc: dict[str, Any] | None,
    request: Request,
    environ: dict[str, str],
    project_file: tuple[str, str] | None,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.chmod(root, 0o755)
        cwd = root / "repo" / "sub"
        cwd.mkdir(parents=True)
        if project_file is not None:
            where, name = project_file
            directory = {"here": cwd, "parent": cwd.parent, "untrusted": cwd}[where]
            (directory / ".zen-project").write_text(name + "\n")
            if where == "untrusted":
                os.chmod(directory, 0o777)
        loaded = _config(root, doc)
        fast, full = _both(request, loaded, cwd, environ)
        assert fast == full


# -- the precedence table, case by case ---------------------------------------


@pytest.fixture
def two(tmp_path: Path) -> configfile.Loaded:
    return _config(tmp_path, _doc("redis", ["p1", "p2"], "p1"))


def _pick(loaded: configfile.Loaded, cwd: Path, request: Request = Request(), **env: str) -> Any:
    return resolver.resolve(request, lambda: loaded, cwd=cwd, environ=env)


def test_flags_beat_the_environment(two: configfile.Loaded, tmp_path: Path) -> None:
    chosen = _pick(two, tmp_path, Request(project="p2"), ZEN_STORAGE_TYPE="memory")
    assert (chosen.backend, chosen.project, chosen.detail) == ("redis", "p2", "--project p2")


def test_storage_type_beats_zen_project(two: configfile.Loaded, tmp_path: Path) -> None:
    chosen = _pick(two, tmp_path, ZEN_STORAGE_TYPE="memory", ZEN_PROJECT="p2")
    assert (chosen.backend, chosen.source) == ("memory", "env")


def test_file_is_zen_clis_name_for_local(two: configfile.Loaded, tmp_path: Path) -> None:
    chosen = _pick(two, tmp_path, ZEN_STORAGE_TYPE="file")
    assert (chosen.backend, chosen.detail) == ("local", "ZEN_STORAGE_TYPE=file")


def test_redis_without_a_project_takes_the_one_below(
    two: configfile.Loaded, tmp_path: Path
) -> None:
    (tmp_path / ".zen-project").write_text("p2\n")
    chosen = _pick(two, tmp_path, ZEN_STORAGE_TYPE="redis")
    assert (chosen.project, chosen.source) == ("p2", "env")
    assert chosen.detail == f"ZEN_STORAGE_TYPE=redis; {tmp_path / '.zen-project'}"


def test_redis_with_no_project_anywhere_is_a_usage_error(tmp_path: Path) -> None:
    loaded = _config(tmp_path, _doc("memory", ["p1"], None))
    with pytest.raises(UsageError, match="asks for Redis, but no project is chosen"):
        _pick(loaded, tmp_path, ZEN_STORAGE_TYPE="redis")


def test_unknown_storage_type_is_a_usage_error(two: configfile.Loaded, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="must be memory, local, file or redis"):
        _pick(two, tmp_path, ZEN_STORAGE_TYPE="postgres")


def test_unknown_project_names_where_it_came_from(two: configfile.Loaded, tmp_path: Path) -> None:
    with pytest.raises(UnknownProjectError) as e:
        _pick(two, tmp_path, ZEN_PROJECT="p3")
    assert e.value.where == "ZEN_PROJECT=p3"
    assert e.value.hint is not None and "p1" in e.value.hint


def test_two_flags_exclude_each_other(two: configfile.Loaded, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--memory and --project exclude each other"):
        _pick(two, tmp_path, Request(project="p1", memory=True))


def test_memory_flag_never_reads_the_file(tmp_path: Path) -> None:
    def explode() -> Any:
        raise AssertionError("the config file was read")

    chosen = resolver.resolve(Request(memory=True), explode, cwd=tmp_path, environ={})
    assert (chosen.backend, chosen.source) == ("memory", "flag")


def test_untrusted_project_file_is_skipped(two: configfile.Loaded, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / ".zen-project").write_text("p2\n")
    shared.chmod(0o777)
    chosen = _pick(two, shared)
    assert (chosen.project, chosen.source) == ("p1", "config")


def test_short_is_the_name_for_prompts(two: configfile.Loaded, tmp_path: Path) -> None:
    assert _pick(two, tmp_path).short == "p1"
    assert _pick(two, tmp_path, ZEN_STORAGE_TYPE="local").short == "local"


# -- zen's own REDIS_* variables, with no config file -------------------------


def test_zen_redis_variables_describe_one_project(tmp_path: Path, monkeypatch) -> None:
    from zenconfig.runtime import config

    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("REDIS_PORT", "6390")
    monkeypatch.setenv("REDIS_PASSWORD", "s3cret")
    loaded = config.read_config(tmp_path / "absent.json", "default")
    assert not loaded.exists
    entry = loaded.document["storage"]["redis"]["connections"]["zen"]
    assert entry == {
        "host": "127.0.0.1",
        "port": 6390,
        "db": 0,
        "key_prefix": "zen:",
        "password": {"source": "env", "env": "REDIS_PASSWORD"},
    }
    assert "s3cret" not in json.dumps(loaded.document)
    asked = resolver.resolve(
        Request(), lambda: loaded, cwd=tmp_path, environ={"ZEN_STORAGE_TYPE": "redis"}
    )
    assert (asked.backend, asked.project) == ("redis", "zen")
    assert "REDIS_* variables in the environment" in asked.detail
    plain = resolver.resolve(Request(), lambda: loaded, cwd=tmp_path, environ={})
    assert (plain.backend, plain.source) == ("memory", "config")


def test_zen_redis_variables_are_checked(tmp_path: Path, monkeypatch) -> None:
    from zenconfig.runtime import config

    monkeypatch.setenv("REDIS_PORT", "sixty")
    with pytest.raises(ConfigError, match="REDIS_PORT must be a number"):
        config.read_config(tmp_path / "absent.json", "default")


def test_a_config_file_wins_over_zen_variables(
    two: configfile.Loaded, tmp_path: Path, monkeypatch
) -> None:
    from zenconfig.runtime import config

    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    loaded = config.load_config(two.path)
    assert loaded.exists and "zen" not in loaded.document["storage"]["redis"]["connections"]


def test_a_named_config_that_does_not_exist_is_an_error(tmp_path: Path, monkeypatch) -> None:
    from zenconfig import open_storage
    from zenconfig.errors import ZenConfigError

    with pytest.raises(ZenConfigError, match=r"no such config file \(named by --config\)"):
        open_storage(config=tmp_path / "typo.json")
    monkeypatch.setenv("ZEN_CONFIG", str(tmp_path / "typo.json"))
    with pytest.raises(ZenConfigError, match=r"named by ZEN_CONFIG"):
        open_storage()


@pytest.mark.parametrize("content", ["bogus\n", "two names\n"])
def test_the_runtime_goes_on_without_a_bad_project_file(
    two: configfile.Loaded, tmp_path: Path, monkeypatch, capsys, content: str
) -> None:
    """A cloned repository's .zen-project cannot take zen's memory away (one warning)."""
    from zenconfig.runtime import opening

    opening.reset()
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".zen-project").write_text(content)
    chosen, _ = opening.select(config=two.path, cwd=repo)
    assert (chosen.project, chosen.source) == ("p1", "config")
    err = capsys.readouterr().err
    assert err.startswith("zen: warning: ") and "ignored" in err and ".zen-project" in err
    with pytest.raises((UnknownProjectError, ConfigError)):  # the commands still say so
        resolver.resolve(Request(), lambda: two, cwd=repo, environ={})
    opening.reset()
