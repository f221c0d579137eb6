"""Every `zen config` command through the real Typer app, in an isolated HOME."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import keyring

from zenconfig.errors import ExitCode


def _user(name: str) -> str:
    """The keyring user of project ``name`` of the default config file (scoped to it)."""
    from zenconfig import paths, secrets

    return secrets.scoped_username(name, paths.default_config_path())


def test_init_writes_private_file_and_schema(zen, config_file: Path) -> None:
    r = zen("config", "init")
    assert r.code == 0, r
    assert r.out == f"{config_file}\n"
    doc = json.loads(config_file.read_text())
    assert doc["$schema"] == "./zen-config.schema.json"
    assert doc["version"] == 1
    assert (config_file.parent / "zen-config.schema.json").is_file()
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_file.parent.stat().st_mode) == 0o700


def test_init_refuses_to_overwrite_without_force(zen, config_file: Path) -> None:
    assert zen("config", "init").code == 0
    r = zen("config", "init")
    assert r.code == ExitCode.ERROR
    assert r.err.startswith("zen: error: a config file already exists")
    assert "hint: keep it, or replace it with --force" in r.err
    assert zen("config", "init", "--force").code == 0
    assert config_file.with_name("config.json.bak").exists()


def test_init_toml_points_taplo_at_the_schema(zen, home: Path) -> None:
    r = zen("config", "init", "--format", "toml")
    assert r.code == 0, r
    path = home / ".zen-cli" / "config.toml"
    text = path.read_text()
    assert text.startswith("#:schema ./zen-config.schema.json\n")
    # with only config.toml present it is the default file
    assert zen("config", "path").out == f"{path}\n"
    assert zen("config", "add-project", "p1", "--use").code == 0
    assert path.read_text().startswith("#:schema ./zen-config.schema.json\n")
    assert zen("config", "current").out.startswith("p1  (from storage.redis.default")


def test_add_project_every_field(zen, config_file: Path) -> None:
    r = zen(
        "config",
        "add-project",
        "full",
        "--host",
        "redis.internal",
        "--port",
        "6380",
        "--db",
        "3",
        "--username",
        "app",
        "--key-prefix",
        "app:full:",
        "--ttl",
        "600",
        "--max-turns",
        "20",
        "--tls",
        "--tls-ca-file",
        "/etc/ca.pem",
        "--connect-timeout",
        "0.25",
        "--socket-timeout",
        "2",
        "--max-connections",
        "4",
        "--health-check-interval",
        "10",
        "--client-name",
        "zen-full",
        "--password-env",
        "FULL_PW",
        "--use",
    )
    assert r.code == 0, r
    assert r.err == (
        "zen: added project 'full' (redis.internal:6380/3, prefix app:full:)\n"
        "zen: 'full' is now the default project\n"
    )
    entry = json.loads(config_file.read_text())["storage"]["redis"]["connections"]["full"]
    assert entry == {
        "host": "redis.internal",
        "port": 6380,
        "db": 3,
        "username": "app",
        "key_prefix": "app:full:",
        "conversation_ttl_seconds": 600,
        "max_turns": 20,
        "tls": {"enabled": True, "ca_file": "/etc/ca.pem"},
        "timeouts": {"connect_seconds": 0.25, "socket_seconds": 2.0},
        "pool": {"max_connections": 4, "health_check_interval_seconds": 10},
        "client_name": "zen-full",
        "password": {"source": "env", "env": "FULL_PW"},
    }


def test_add_project_sentinel_and_cluster(zen, config_file: Path) -> None:
    r = zen(
        "config",
        "add-project",
        "s",
        "--mode",
        "sentinel",
        "--sentinel",
        "127.0.0.1:26379",
        "--sentinel",
        "127.0.0.1:26380",
        "--service-name",
        "mymaster",
    )
    assert r.code == 0, r
    r = zen("config", "add-project", "c", "--mode", "cluster", "--node", "127.0.0.1:7000")
    assert r.code == 0, r
    conns = json.loads(config_file.read_text())["storage"]["redis"]["connections"]
    assert conns["s"]["sentinels"][1] == {"host": "127.0.0.1", "port": 26380}
    assert conns["c"]["nodes"] == [{"host": "127.0.0.1", "port": 7000}]
    r = zen("config", "add-project", "bad", "--mode", "sentinel")
    assert r.code == ExitCode.USAGE  # the flags are wrong, not the file
    assert "--sentinel: required when mode is 'sentinel'" in r.err


def test_add_project_from_url(zen) -> None:
    r = zen("config", "add-project", "u", "--url", "rediss://app@cache.local:6390/2")
    assert r.code == 0, r
    shown = zen("config", "show", "u", "--json").json()
    values = {v["field"]: v["value"] for v in shown["values"]}
    assert (values["host"], values["port"], values["db"]) == ("cache.local", 6390, 2)
    assert values["username"] == "app"
    assert values["tls.enabled"] is True


def test_add_project_rejects_password_in_url(zen, config_file: Path) -> None:
    r = zen("config", "add-project", "u", "--url", "redis://app:hunter2@h:1/0")
    assert r.code == ExitCode.USAGE
    assert "hunter2" not in r.err + r.out
    assert "--url contains a password" in r.err
    assert not config_file.exists()


def test_password_is_never_an_argument(zen) -> None:
    r = zen("config", "add-project", "p", "--password", "hunter2")
    assert r.code == ExitCode.USAGE
    assert "No such option: --password" in r.err


def test_add_project_password_stdin_goes_to_keyring(zen, config_file: Path) -> None:
    r = zen("config", "add-project", "p1", "--password-stdin", input="s3cret-pw\n")
    assert r.code == 0, r
    assert keyring.get_password("zen-cli", _user("p1")) == "s3cret-pw"
    entry = json.loads(config_file.read_text())["storage"]["redis"]["connections"]["p1"]
    assert entry["password"] == {"source": "keyring", "service": "zen-cli", "username": _user("p1")}
    assert "s3cret-pw" not in config_file.read_text()


def test_add_project_ask_password_prompts_hidden(zen) -> None:
    r = zen("config", "add-project", "p1", "--ask-password", input="pw1\npw1\n")
    assert r.code == 0, r
    assert keyring.get_password("zen-cli", _user("p1")) == "pw1"
    assert "pw1" not in r.out + r.err


def test_add_project_duplicate_and_bad_name(zen, two_projects) -> None:
    r = zen("config", "add-project", "p1")
    assert r.code == ExitCode.ERROR
    assert r.err.startswith("zen: error: project 'p1' already exists")
    r = zen("config", "add-project", "bad name")
    assert r.code == ExitCode.USAGE
    assert "'bad name' is not a valid project name" in r.err


def test_add_project_overlapping_prefix_is_refused(zen, two_projects, config_file) -> None:
    before = config_file.read_text()
    r = zen("config", "add-project", "p3", "--key-prefix", "zen:p1:sub:")
    assert r.code == ExitCode.INVALID_CONFIG
    assert (
        "storage.redis.connections.p3.key_prefix: 'zen:p1:sub:' overlaps 'zen:p1:' of project "
        "'p1' on the same server"
    ) in r.err
    assert config_file.read_text() == before
    # the same prefix on another server is fine
    assert zen("config", "add-project", "p3", "--port", "6400", "--key-prefix", "zen:p1:").code == 0


def test_set_and_get(zen, two_projects, config_file) -> None:
    r = zen("config", "set", "p1", "port", "6390")
    assert r.code == 0, r
    assert r.err == "zen: p1.port = 6390\n"
    assert (
        json.loads(config_file.read_text())["storage"]["redis"]["connections"]["p1"]["port"] == 6390
    )
    assert zen("config", "get", "p1", "port").out == "6390\n"
    assert zen("config", "set", "p1", "tls.enabled", "true").code == 0
    assert zen("config", "get", "p1", "tls.enabled").out == "true\n"
    assert zen("config", "get", "p1", "conversation_ttl_seconds", "--json").json() == {
        "project": "p1",
        "field": "conversation_ttl_seconds",
        "value": 10800,
    }
    assert zen("config", "set", "p1", "username", "null").code == 0
    assert zen("config", "get", "p1", "username").out == "null\n"
    assert zen("config", "set", "p1", "host", "1234").code == 0
    assert zen("config", "get", "p1", "host", "--json").json()["value"] == "1234"


def test_set_invalid_value_changes_nothing(zen, two_projects, config_file) -> None:
    before = config_file.read_text()
    r = zen("config", "set", "p1", "port", "70000")
    assert r.code == ExitCode.INVALID_CONFIG
    assert "storage.redis.connections.p1.port: must be <= 65535" in r.err
    assert "nothing was changed" in r.err
    r = zen("config", "set", "p1", "db", "16")
    assert "storage.redis.connections.p1.db: must be <= 15" in r.err
    assert config_file.read_text() == before


def test_set_unknown_field_suggests(zen, two_projects) -> None:
    r = zen("config", "set", "p1", "prot", "1")
    assert r.code == ExitCode.USAGE
    assert "unknown field 'prot'" in r.err
    assert "hint: did you mean 'port'?" in r.err


def test_set_refuses_password(zen, two_projects) -> None:
    r = zen("config", "set", "p1", "password", "hunter2")
    assert r.code == ExitCode.USAGE
    assert "zen config set-password" in r.err


def test_list_table_and_json(zen, two_projects) -> None:
    r = zen("config", "list")
    assert r.code == 0, r
    assert r.out == (
        "CURRENT  NAME  ADDRESS           PREFIX   TTL  PASSWORD\n"
        "*        p1    127.0.0.1:6379/0  zen:p1:  3h   none\n"
        "         p2    127.0.0.1:6379/1  zen:p2:  3h   none\n"
    )
    rows = zen("config", "list", "--json").json()
    assert [(r["name"], r["default"], r["db"]) for r in rows] == [("p1", True, 0), ("p2", False, 1)]
    for row in rows:
        assert {"name", "host", "port", "db", "key_prefix", "default", "password_source"} <= set(
            row
        )


def test_list_empty(zen) -> None:
    r = zen("config", "list")
    assert (r.code, r.out) == (0, "")
    assert "no projects yet" in r.err
    assert zen("config", "list", "--json").json() == []


def test_show_sources_and_masking(zen, config_file) -> None:
    zen("config", "add-project", "p1", "--port", "6380", "--password-stdin", "--use", input="pw\n")
    r = zen("config", "show")
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert lines[0] == f"project  p1  (from storage.redis.default in {config_file})"
    port = next(line for line in lines if line.startswith("port "))
    assert port.split() == ["port", "6380", "file"]
    ttl = next(line for line in lines if line.startswith("conversation_ttl_seconds"))
    assert ttl.split() == ["conversation_ttl_seconds", "10800", "default"]
    assert lines[-1].split() == ["password", "********", f"keyring:zen-cli/{_user('p1')}"]
    assert "pw\n" not in r.out
    revealed = zen("config", "show", "p1", "--reveal", "--json").json()
    assert revealed["password"]["value"] == "pw"
    assert revealed["selected"]["source"] == "argument"


def test_show_flags_insecure_tls(zen) -> None:
    zen("config", "add-project", "t", "--tls", "--tls-insecure")
    r = zen("config", "show", "t")
    assert "zen: warning: TLS certificate verification is OFF (tls.verify = false)" in r.err


def test_current_each_source(zen, two_projects, home, config_file) -> None:
    assert zen("config", "current").out == f"p1  (from storage.redis.default in {config_file})\n"
    assert zen("--project", "p2", "config", "current").out == "p2  (from --project p2)\n"
    assert zen("config", "current", env={"ZEN_PROJECT": "p2"}).out == "p2  (from ZEN_PROJECT=p2)\n"
    assert zen("--memory", "config", "current").out == "memory  (from --memory)\n"
    r = zen("config", "current", "--json", env={"ZEN_STORAGE_TYPE": "memory"})
    assert r.json() == {
        "backend": "memory",
        "project": None,
        "source": "env",
        "detail": "ZEN_STORAGE_TYPE=memory",
    }
    marker = Path.cwd() / ".zen-project"
    marker.write_text("p2\n")
    sub = Path.cwd() / "a" / "b"
    sub.mkdir(parents=True)
    os.chdir(sub)
    assert zen("config", "current").out == f"p2  (from {marker})\n"
    # ZEN_PROJECT beats .zen-project, --project beats ZEN_PROJECT
    assert zen("config", "current", env={"ZEN_PROJECT": "p1"}).out.startswith("p1  (from ZEN_")
    r = zen("--project", "p1", "config", "current", env={"ZEN_PROJECT": "p2"})
    assert r.out.startswith("p1  (from --project")


def test_current_unknown_project_did_you_mean(zen, two_projects) -> None:
    r = zen("--project", "p1x", "config", "current")
    assert r.code == ExitCode.ERROR
    assert r.err == (
        "zen: error: unknown project 'p1x' (--project p1x)\n"
        "hint: did you mean 'p1'? Known projects: p1, p2\n"
    )
    r = zen("--project", "zzz", "config", "current")
    assert r.err.endswith("hint: known projects: p1, p2\n")


def test_zen_project_file_cannot_carry_more_than_a_name(zen, two_projects) -> None:
    Path(".zen-project").write_text('{"host": "evil.example", "password": "x"}\n')
    r = zen("config", "current")
    assert r.code == ExitCode.INVALID_CONFIG
    assert "holds one project name and nothing else" in r.err


def test_memory_is_the_default_without_a_file(zen) -> None:
    r = zen("config", "current")
    assert r.out == "memory  (from the default; no config file)\n"
    assert zen("config", "show").out == "memory store (from the default; no config file)\n"


def test_use_default_memory_and_here(zen, two_projects, config_file) -> None:
    r = zen("config", "use", "p2")
    assert (r.code, r.err) == (0, "zen: 'p2' is now the default project\n")
    doc = json.loads(config_file.read_text())
    assert doc["storage"]["type"] == "redis"
    assert doc["storage"]["redis"]["default"] == "p2"
    assert zen("config", "use", "--memory").code == 0
    assert json.loads(config_file.read_text())["storage"]["type"] == "memory"
    assert zen("config", "current").out.startswith("memory  (from storage.type 'memory'")
    r = zen("config", "use", "p1", "--here")
    assert r.code == 0, r
    assert Path(".zen-project").read_text() == "p1\n"
    assert zen("config", "current").out.startswith("p1  (from ")
    assert zen("config", "use").code == ExitCode.USAGE
    r = zen("config", "use", "nope")
    assert r.code == ExitCode.ERROR and "unknown project 'nope'" in r.err


def test_rename_moves_keyring_and_default(zen, config_file) -> None:
    zen("config", "add-project", "old", "--password-stdin", "--use", input="pw-old\n")
    r = zen("config", "rename-project", "old", "new")
    assert r.code == 0, r
    assert keyring.get_password("zen-cli", _user("new")) == "pw-old"
    assert keyring.get_password("zen-cli", _user("old")) is None
    doc = json.loads(config_file.read_text())
    assert doc["storage"]["redis"]["default"] == "new"
    assert doc["storage"]["redis"]["connections"]["new"]["password"]["username"] == _user("new")
    assert doc["storage"]["redis"]["connections"]["new"]["key_prefix"] == "zen:old:"
    assert zen("config", "rename-project", "missing", "x").code == ExitCode.ERROR


def test_remove_project(zen, config_file) -> None:
    zen("config", "add-project", "a", "--password-stdin", "--use", input="pw-a\n")
    zen("config", "add-project", "b", "--port", "6400")
    r = zen("config", "remove-project", "a")
    assert r.code == ExitCode.ERROR
    assert "'a' is the default project" in r.err
    assert keyring.get_password("zen-cli", _user("a")) == "pw-a"
    r = zen("config", "remove-project", "a", "--force")
    assert r.code == 0, r
    assert f"keyring entry zen-cli/{_user('a')} deleted" in r.err
    assert keyring.get_password("zen-cli", _user("a")) is None
    doc = json.loads(config_file.read_text())
    assert list(doc["storage"]["redis"]["connections"]) == ["b"]
    assert doc["storage"]["type"] == "memory"
    assert zen("config", "remove-project", "b").code == 0


def test_set_password_replaces_secret_and_source(zen, config_file) -> None:
    zen("config", "add-project", "p", "--password-stdin", input="one\n")
    r = zen("config", "set-password", "p", "--password-stdin", input="two\n")
    assert r.code == 0, r
    assert keyring.get_password("zen-cli", _user("p")) == "two"
    assert zen("config", "set-password", "p", "--password-env", "P_PW").code == 0
    assert zen("config", "get", "p", "password", "--json").json()["value"] == {
        "source": "env",
        "env": "P_PW",
    }
    r = zen("config", "set-password", "p")  # no terminal to prompt on
    assert r.code == ExitCode.USAGE
    assert "no terminal to prompt on" in r.err


def test_validate_schema_path(zen, two_projects, config_file, tmp_path) -> None:
    r = zen("config", "validate")
    assert (r.code, r.err) == (0, f"zen: {config_file}: valid\n")
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1,\n "storage": {"type": "redis",}}\n')
    r = zen("config", "validate", str(bad))
    assert r.code == ExitCode.INVALID_CONFIG
    assert r.err.startswith(
        f"zen: error: invalid JSON: Expecting property name enclosed in double quotes ({bad}:2:30)"
    )
    assert "Traceback" not in r.err
    schema = json.loads(zen("config", "schema").out)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert zen("config", "path").out == f"{config_file}\n"
    assert zen("--config", str(bad), "config", "path").out == f"{bad}\n"
    r = zen("config", "path", env={"ZEN_CONFIG": str(tmp_path / "x.toml")})
    assert r.out == f"{tmp_path / 'x.toml'}\n"


def _editor(tmp_path: Path, body: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(f"import sys, pathlib\np = pathlib.Path(sys.argv[1])\n{body}\n")
    return f"{sys.executable} {script}"


def test_edit_saves_valid_changes(zen, two_projects, config_file, tmp_path) -> None:
    editor = _editor(tmp_path, "p.write_text(p.read_text().replace('6379', '6390', 1))")
    r = zen("config", "edit", env={"EDITOR": editor, "VISUAL": ""})
    assert (r.code, r.err) == (0, "zen: saved\n")
    assert zen("config", "get", "p1", "port").out == "6390\n"


def test_edit_refuses_invalid_and_keeps_the_edit(zen, two_projects, config_file, tmp_path) -> None:
    before = config_file.read_text()
    editor = _editor(tmp_path, "p.write_text(p.read_text().replace('6379', '99999', 1))")
    r = zen("config", "edit", env={"EDITOR": editor, "VISUAL": ""})
    assert r.code == ExitCode.INVALID_CONFIG
    assert "not saved: invalid config" in r.err
    assert "storage.redis.connections.p1.port: must be <= 65535" in r.err
    assert config_file.read_text() == before
    kept = r.err.split("your edit is kept in ")[1].split(";")[0]
    assert "99999" in Path(kept).read_text()


def test_edit_without_changes(zen, two_projects, tmp_path) -> None:
    r = zen("config", "edit", env={"EDITOR": _editor(tmp_path, "pass"), "VISUAL": ""})
    assert (r.code, r.err) == (0, "zen: no changes\n")
