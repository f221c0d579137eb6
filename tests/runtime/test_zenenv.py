"""zenconfig.runtime.zenenv: zen's REDIS_* settings (from its .env) as the one project 'zen'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dotenv import dotenv_values

from zenconfig import configfile
from zenconfig.errors import ConfigError, ExitCode
from zenconfig.runtime import zenenv


def _entry(environ: dict[str, str]) -> dict[str, object]:
    return zenenv.document(environ)["storage"]["redis"]["connections"]["zen"]


@pytest.mark.parametrize(
    ("environ", "present"),
    [
        ({}, False),
        ({name: "" for name in zenenv.VARIABLES}, False),  # set but empty: as zen reads them
        ({"ZEN_STORAGE_TYPE": "redis", "REDIS_URL": "redis://h"}, False),  # not zen's five
        ({"REDIS_KEY_PREFIX": "zen:x:"}, True),
        ({"REDIS_PASSWORD": "pw"}, True),
    ],
)
def test_present_means_one_of_zens_variables_has_a_value(
    environ: dict[str, str], present: bool
) -> None:
    assert zenenv.present(environ) is present


def test_zens_defaults_fill_what_is_not_set_and_the_document_is_valid(tmp_path: Path) -> None:
    document = zenenv.document({"REDIS_DB": "3", "REDIS_PASSWORD": ""})
    assert document == {
        "version": 1,
        "storage": {
            "type": "memory",  # REDIS_* apply when ZEN_STORAGE_TYPE=redis asks, as in zen
            "fallback": "memory",
            "redis": {
                "default": "zen",
                "connections": {
                    "zen": {"host": "localhost", "port": 6379, "db": 3, "key_prefix": "zen:"}
                },
            },
        },
    }
    configfile.check(document, tmp_path / "config.json")


def test_zens_env_file_read_as_zen_reads_it(home: Path, tmp_path: Path) -> None:
    env = home / ".zen" / ".env"
    env.parent.mkdir()
    env.write_text(
        "# zen settings\n"
        'export REDIS_HOST="cache.internal"\n'
        "REDIS_PORT= 6390   # a comment\n"
        "REDIS_DB='2'\n"
        "REDIS_PASSWORD=env s3cret\n"
        "REDIS_KEY_PREFIX=zen:work:\n"
    )
    values = {k: v for k, v in dotenv_values(env).items() if v is not None}
    assert zenenv.present(values)
    document = zenenv.document(values)
    assert _entry(values) == {
        "host": "cache.internal",
        "port": 6390,
        "db": 2,
        "key_prefix": "zen:work:",
        "password": {"source": "env", "env": "REDIS_PASSWORD"},
    }
    assert "env s3cret" not in json.dumps(document)  # a reference, never the value
    configfile.check(document, tmp_path / "config.json")


@pytest.mark.parametrize("raw", ["-1", "1e3", "0x10", "6379 6380", "six"])
def test_a_port_or_db_that_is_not_a_number_names_the_variable(raw: str) -> None:
    for name in ("REDIS_PORT", "REDIS_DB"):
        with pytest.raises(ConfigError) as info:
            zenenv.document({name: raw})
        assert info.value.message == f"{name} must be a number, not {raw!r}"
        assert (info.value.where, info.value.hint) == (name, zenenv.HINT)
        assert info.value.exit_code == ExitCode.INVALID_CONFIG


def test_a_long_bad_value_is_cut_in_the_message() -> None:
    with pytest.raises(ConfigError) as info:
        zenenv.document({"REDIS_PORT": "9" * 30 + "x" * 100})
    assert info.value.message == f"REDIS_PORT must be a number, not {'9' * 30 + 'x' * 10!r}"


def test_a_superscript_digit_is_not_a_number() -> None:
    with pytest.raises(ConfigError, match="REDIS_PORT must be a number"):
        zenenv.document({"REDIS_PORT": "²"})
