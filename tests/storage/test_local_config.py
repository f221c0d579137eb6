"""Choosing the local store: the file section, `use --local`, `current`, `init`'s note."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from zenconfig import configfile, spec
from zenconfig.errors import ConfigError


def test_use_local_switches_and_current_says_why(zen, config_file: Path) -> None:
    assert zen("config", "init").code == 0
    r = zen("config", "use", "--local")
    assert r.code == 0, r
    assert "local store" in r.err
    assert json.loads(config_file.read_text())["storage"]["type"] == "local"
    r = zen("config", "current")
    assert r.out == f"local  (from storage.type 'local' in {config_file})\n"
    data = zen("config", "current", "--json").json()
    assert (data["backend"], data["project"], data["source"]) == ("local", None, "config")
    assert zen("config", "show").out.startswith("local store (from storage.type 'local'")


def test_use_local_with_a_name_or_memory_is_a_usage_error(zen) -> None:
    assert zen("config", "init").code == 0
    r = zen("config", "use", "--local", "--memory")
    assert r.code == 2 and "give one of a project NAME, --memory or --local" in r.err
    r = zen("config", "use", "p1", "--local")
    assert r.code == 2 and "give one of" in r.err


@pytest.mark.parametrize(
    ("args", "env", "detail"),
    [
        (("--local",), {}, "--local"),
        ((), {"ZEN_STORAGE_TYPE": "local"}, "ZEN_STORAGE_TYPE=local"),
        ((), {"ZEN_STORAGE_TYPE": "file"}, "ZEN_STORAGE_TYPE=file"),
    ],
)
def test_flag_and_env_select_local(zen, args, env, detail) -> None:
    r = zen(*args, "config", "current", env=env)
    assert r.code == 0 and r.out == f"local  (from {detail})\n", r


def test_memory_stays_the_default(zen) -> None:
    assert zen("config", "init").code == 0
    assert zen("config", "current").out.startswith("memory  (from storage.type 'memory'")


def test_init_says_how_to_keep_conversations(zen) -> None:
    r = zen("config", "init")
    assert r.code == 0
    assert "zen config use --local (a file on this machine) or zen config add-project NAME" in r.err


def test_local_section_defaults_and_toml(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        'version = 1\n[storage]\ntype = "local"\n[storage.local]\npath = "conv.db"\nmax_turns = 7\n'
    )
    loaded = configfile.load(path)
    assert loaded.config.storage.type == "local"
    local = spec.local(loaded.document)
    assert (local.max_turns, local.conversation_ttl_seconds) == (7, 10800)
    assert local.resolved(path) == tmp_path / "conv.db"
    assert spec.local({}).resolved() == Path.home() / ".zen-cli" / "conversations.db"
    configfile.write(path, loaded.document)  # the TOML form writes back
    assert tomllib.loads(path.read_text())["storage"]["local"]["max_turns"] == 7


@pytest.mark.parametrize(
    ("local", "key"),
    [
        ({"max_turns": 0}, "storage.local.max_turns"),
        ({"conversation_ttl_seconds": "60"}, "storage.local.conversation_ttl_seconds"),
        ({"path": ""}, "storage.local.path"),
        ({"colour": "red"}, "storage.local.colour"),
    ],
)
def test_local_section_is_strict(tmp_path: Path, local: dict, key: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"version": 1, "storage": {"type": "local", "local": local}}))
    with pytest.raises(ConfigError) as e:
        configfile.load(path)
    assert key in str(e.value)


def test_schema_describes_the_local_section() -> None:
    from zenconfig import schema

    doc = json.loads(schema.shipped())
    local = doc["definitions"]["LocalStorage"]
    assert local["additionalProperties"] is False
    assert all(p.get("description") for p in local["properties"].values())
    assert "local" in doc["definitions"]["Storage"]["properties"]["type"]["enum"]
