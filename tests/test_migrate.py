"""zen config migrate: old/new fixture pairs per step, dry run, idempotence, the
keyring holds the secrets, no secret in any file written."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import keyring
import pytest

from tests.conftest import FIXTURES
from zenconfig import configfile, migrations, paths, secrets
from zenconfig.errors import ExitCode

PAIRS = FIXTURES / "migrations"
SCOPE = "0123456789ab"  # the fixtures' scope; a real file's is secrets.scope(path)


def _fixture(relative: str, config: Path | None = None) -> str:
    """A fixture's text, with the scope of ``config`` (if given) for the fixtures' own."""
    text = (PAIRS / relative).read_text()
    return text.replace(SCOPE, secrets.scope(config)) if config is not None else text


def _user(project: str, config: Path) -> str:
    return f"{project}@{secrets.scope(config)}"


SECRETS = ("p1-s3cret", 'p2 "quoted" s3cret', "lit-s3cret", "env s3cret")


def _files_have_no_secret(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            for secret in SECRETS:
                assert secret not in text, path
                assert json.dumps(secret)[1:-1] not in text, path


def test_step_legacy_inline_passwords() -> None:
    old = json.loads((PAIRS / "legacy" / "old.json").read_text())
    new, taken = migrations.legacy_inline_passwords(old, SCOPE)
    assert new == json.loads((PAIRS / "legacy" / "new.json").read_text())
    assert taken == {"project1": "p1-s3cret", "project2": 'p2 "quoted" s3cret'}


def test_step_env_file_project() -> None:
    values = {
        "ZEN_STORAGE_TYPE": "redis",
        "REDIS_HOST": "cache.internal",
        "REDIS_PORT": "6390",
        "REDIS_DB": "2",
        "REDIS_PASSWORD": "env s3cret",
        "REDIS_KEY_PREFIX": "zen:work:",
    }
    new, taken = migrations.env_file_project(values, "zen", SCOPE)
    assert new == json.loads((PAIRS / "env" / "new.json").read_text())
    assert taken == {"zen": "env s3cret"}


def test_legacy_json_end_to_end(zen, config_file: Path, home: Path) -> None:
    config_file.parent.mkdir(mode=0o700)
    shutil.copy(PAIRS / "legacy" / "old.json", config_file)
    r = zen("config", "list")
    assert (
        r.code == ExitCode.INVALID_CONFIG and "hint: upgrade it with: zen config migrate" in r.err
    )
    r = zen("config", "migrate")
    assert r.code == 0, r
    assert f"password moved to the keyring: zen-cli/{_user('project1', config_file)}" in r.err
    assert json.loads(config_file.read_text()) == json.loads(
        _fixture("legacy/new.json", config_file)
    )
    backup = config_file.with_name("config.json.bak")
    assert backup.read_text() == _fixture("legacy/backup.json", config_file)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert keyring.get_password("zen-cli", _user("project1", config_file)) == "p1-s3cret"
    assert keyring.get_password("zen-cli", _user("project2", config_file)) == 'p2 "quoted" s3cret'
    _files_have_no_secret(home)
    for secret in SECRETS:
        assert secret not in r.out + r.err
    assert zen("config", "list").code == 0
    again = zen("config", "migrate")
    assert again.code == 0
    assert again.err == f"zen: nothing to migrate: {config_file} is at the current version\n"
    assert backup.read_text() == _fixture("legacy/backup.json", config_file)


def test_legacy_toml_end_to_end(zen, home: Path) -> None:
    path = home / ".zen-cli" / "config.toml"
    path.parent.mkdir(mode=0o700)
    shutil.copy(PAIRS / "legacy-toml" / "old.toml", path)
    r = zen("--config", str(path), "config", "migrate")
    assert r.code == 0, r
    assert path.read_text() == _fixture("legacy-toml/new.toml", path)
    assert path.with_name("config.toml.bak").read_text() == _fixture(
        "legacy-toml/backup.toml", path
    )
    assert keyring.get_password("zen-cli", _user("p1", path)) == "lit-s3cret"
    _files_have_no_secret(home)


def test_env_file_end_to_end(zen, config_file: Path, home: Path) -> None:
    env = home / ".zen" / ".env"
    env.parent.mkdir()
    shutil.copy(PAIRS / "env" / "old.env", env)
    r = zen("config", "migrate")
    assert r.code == 0, r
    assert json.loads(config_file.read_text()) == json.loads(_fixture("env/new.json", config_file))
    assert env.read_text() == _fixture("env/scrubbed.env", config_file)
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert keyring.get_password("zen-cli", _user("zen", config_file)) == "env s3cret"
    _files_have_no_secret(home)
    assert zen("config", "current").out.startswith("zen  (from storage.redis.default")
    assert zen("config", "migrate").err.startswith("zen: nothing to migrate")


def test_dry_run_changes_nothing_and_masks(zen, config_file: Path) -> None:
    config_file.parent.mkdir(mode=0o700)
    shutil.copy(PAIRS / "legacy" / "old.json", config_file)
    before = config_file.read_bytes()
    r = zen("config", "migrate", "--dry-run")
    assert r.code == 0, r
    assert config_file.read_bytes() == before
    assert not config_file.with_name("config.json.bak").exists()
    assert keyring.get_password("zen-cli", _user("project1", config_file)) is None
    assert '-          "password": "********",' in r.out
    assert '+  "version": 1,' in r.out
    for secret in SECRETS:
        assert secret not in r.out + r.err
    assert "2 password(s) would move to the keyring" in r.err


def test_newer_version_is_refused(zen, config_file: Path) -> None:
    config_file.parent.mkdir(mode=0o700)
    config_file.write_text('{"version": 7, "storage": {}}')
    before = config_file.read_bytes()
    r = zen("config", "migrate")
    assert r.code == ExitCode.INVALID_CONFIG
    assert "written by a newer zenconfig (version 7" in r.err
    assert config_file.read_bytes() == before


def test_no_keyring_writes_nothing(zen, config_file: Path) -> None:
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    config_file.parent.mkdir(mode=0o700)
    shutil.copy(PAIRS / "legacy" / "old.json", config_file)
    before = config_file.read_bytes()
    r = zen("config", "migrate")
    assert r.code == ExitCode.KEYRING_UNAVAILABLE
    assert config_file.read_bytes() == before


def test_nothing_to_migrate(zen) -> None:
    r = zen("config", "migrate")
    assert (r.code, r.err) == (
        0,
        "zen: nothing to migrate: no config file, and no zen .env with REDIS_* settings\n",
    )


def test_migrated_file_validates(config_file: Path) -> None:
    new = json.loads((PAIRS / "legacy" / "new.json").read_text())
    configfile.validate(new, config_file)


# -- scrubbing by parsing: one fixture directory per way of writing a password ----

CASES = sorted(p.name for p in PAIRS.iterdir() if (p / "secrets.json").exists())


def _spellings(secret: str) -> set[str]:
    found = {secret, *secret.splitlines()}
    for ascii_only in (False, True):
        escaped = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        found |= {escaped, escaped.replace("/", "\\/")}
    return found


def _no_secret(text: str, case: dict, where: object) -> None:
    needles = set().union(*(_spellings(s) for s in [*case["taken"].values(), *case["dropped"]]))
    needles |= set(case.get("written", []))
    for needle in needles:
        assert needle not in text, (needle, where)


@pytest.mark.parametrize("name", CASES)
def test_scrubbing_by_parsing(zen, home: Path, name: str) -> None:
    pair = PAIRS / name
    case = json.loads((pair / "secrets.json").read_text())
    directory = home / ".zen-cli"
    directory.mkdir(mode=0o700)
    old = next(pair.glob("old.*"))
    if old.suffix == ".env":
        config = directory / "config.json"
        original = home / ".zen" / ".env"
        original.parent.mkdir()
        expected_backup = _fixture(f"{name}/scrubbed.env", config)
    else:
        config = directory / f"config{old.suffix}"
        original = config
        expected_backup = _fixture(f"{name}/backup{old.suffix}", config)
    shutil.copy(old, original)
    for secret in case["taken"].values():  # the fixture holds what the case says
        assert any(s in old.read_text() for s in _spellings(secret) | set(case.get("written", [])))
    dry = zen("--config", str(config), "config", "migrate", "--dry-run")
    assert dry.code == 0, dry
    assert "would move to the keyring" in dry.err
    _no_secret(dry.out + dry.err, case, "--dry-run")
    assert original.read_text() == old.read_text()
    r = zen("--config", str(config), "config", "migrate")
    assert r.code == 0, r
    _no_secret(r.out + r.err, case, "output")
    backup = original if old.suffix == ".env" else paths.backup_path(config)
    assert backup.read_text() == expected_backup
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    new = f"{name}/new{config.suffix}"
    assert config.read_text() == _fixture(new, config)
    for project, secret in case["taken"].items():
        assert keyring.get_password("zen-cli", _user(project, config)) == secret
    for path in home.rglob("*"):
        if path.is_file():
            _no_secret(path.read_text(errors="replace"), case, path)
    assert ("kept as parsed, not as written" in r.err) == (name == "toml-comment")
    assert zen("--config", str(config), "config", "list").code == 0


def test_a_password_also_written_elsewhere_is_refused(zen, config_file: Path) -> None:
    config_file.parent.mkdir(mode=0o700)
    conn = {"host": "127.0.0.1", "password": "twice-s3cret", "client_name": "twice-s3cret"}
    doc = {"storage": {"type": "redis", "redis": {"default": "p1", "connections": {"p1": conn}}}}
    config_file.write_text(json.dumps(doc))
    before = config_file.read_bytes()
    for args in (("--dry-run",), ()):
        r = zen("config", "migrate", *args)
        assert r.code == ExitCode.INVALID_CONFIG, r
        assert r.err.startswith(
            "zen: error: a password of this file also appears elsewhere in it; nothing was changed"
        )
        assert "twice-s3cret" not in r.out + r.err
    assert config_file.read_bytes() == before
    assert not paths.backup_path(config_file).exists()
    assert keyring.get_password("zen-cli", _user("p1", config_file)) is None


def test_an_env_password_also_in_another_variable_is_refused(zen, home: Path) -> None:
    env = home / ".zen" / ".env"
    env.parent.mkdir()
    env.write_text("REDIS_HOST=h\nREDIS_PASSWORD=twice-s3cret\nREDIS_URL=redis://:twice-s3cret@h\n")
    before = env.read_bytes()
    r = zen("config", "migrate")
    assert r.code == ExitCode.INVALID_CONFIG, r
    assert r.err.startswith(
        "zen: error: the password in REDIS_PASSWORD also appears in REDIS_URL; nothing was changed"
    )
    assert "twice-s3cret" not in r.out + r.err
    assert env.read_bytes() == before
    assert not (home / ".zen-cli" / "config.json").exists()


# -- zen's .env: what it says, and what it gets wrong ---------------------------------


def _env(home: Path, text: str) -> Path:
    path = home / ".zen" / ".env"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_zen_clis_file_store_becomes_the_local_store(zen, config_file: Path, home: Path) -> None:
    _env(home, 'ZEN_STORAGE_TYPE="file"\nREDIS_HOST="127.0.0.1"\n')
    r = zen("config", "migrate")
    assert r.code == 0, r
    assert json.loads(config_file.read_text())["storage"]["type"] == "local"


@pytest.mark.parametrize(
    "text", ["ZEN_STORAGE_TYPE=redis\nREDIS_PORT=6390\n", "REDIS_HOST=h\nREDIS_KEY_PREFIX=k:\n"]
)
def test_migrate_writes_the_project_zens_variables_describe(
    zen, config_file: Path, home: Path, text: str
) -> None:
    """The project migrate writes is the one the same variables describe with no config
    file (host, port, db and, above all, key prefix: the keys zen stored before), so
    nothing stored before the migration is lost to it."""
    from zenconfig import spec
    from zenconfig.runtime import zenenv

    variables = dict(line.split("=", 1) for line in text.splitlines())
    described = zenenv.document(variables)["storage"]["redis"]["connections"]["zen"]
    _env(home, text)
    r = zen("config", "migrate", "--name", "zen")
    assert r.code == 0, r
    written = json.loads(config_file.read_text())["storage"]["redis"]["connections"]["zen"]
    fields = ("host", "port", "db", "key_prefix")
    assert [getattr(spec.connection("zen", written), f) for f in fields] == [
        getattr(spec.connection("zen", described), f) for f in fields
    ]


def test_a_bad_env_value_names_the_variable_and_the_file(
    zen, config_file: Path, home: Path
) -> None:
    env = _env(home, "REDIS_HOST=127.0.0.1\nREDIS_DB=-1\n")
    r = zen("config", "migrate")
    assert r.code == 3, r
    assert r.err.startswith("zen: error: REDIS_DB must be a whole number, not '-1'")
    assert f"(REDIS_DB in {env})" in r.err and "zen config edit" not in r.err
    assert not config_file.exists()


def test_an_empty_password_moves_nothing(zen, config_file: Path, home: Path) -> None:
    env = _env(home, "REDIS_HOST=127.0.0.1\nREDIS_PASSWORD=\n")
    r = zen("config", "migrate")
    assert r.code == 0, r
    assert env.read_text() == "REDIS_HOST=127.0.0.1\nREDIS_PASSWORD=\n"
    assert (
        "password"
        not in json.loads(config_file.read_text())["storage"]["redis"]["connections"]["zen"]
    )


def test_a_named_env_file_must_exist(zen, home: Path) -> None:
    r = zen("config", "migrate", "--env-file", str(home / "nope.env"))
    assert (r.code, r.err.splitlines()[0]) == (
        1,
        f"zen: error: no such .env file (named by --env-file) ({home / 'nope.env'})",
    )


def test_env_file_is_refused_when_a_config_exists(zen, config_file: Path, home: Path) -> None:
    assert zen("config", "init").code == 0
    r = zen("config", "migrate", "--env-file", str(_env(home, "REDIS_HOST=h\n")))
    assert r.code == 2 and "--env-file is for a first config file" in r.err
