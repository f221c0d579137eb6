"""zenconfig.configfile.checking: the version gate, check vs validate, and problem lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zenconfig import configfile
from zenconfig.configfile.checking import check, validate
from zenconfig.errors import ConfigError, ExitCode

PATH = Path("/cfg/config.json")


def _doc(connections: dict[str, Any], default: str | None = None, **storage: Any) -> dict[str, Any]:
    redis: dict[str, Any] = {"connections": connections}
    if default is not None:
        redis["default"] = default
    return {"version": 1, "storage": {"redis": redis, **storage}}


def _problems(document: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        validate(document, PATH)
    assert info.value.exit_code == ExitCode.INVALID_CONFIG
    assert info.value.where == str(PATH)
    return info.value


def test_each_problem_is_one_line_with_list_indexes_and_no_password_tag() -> None:
    doc = _doc(
        {
            "p1": {"password": {"source": "env"}},
            "p2": {"password": {"source": "command", "command": ["pw-tool", ""]}},
            "p3": {
                "mode": "sentinel",
                "service_name": "m",
                "sentinels": [{"host": "h", "port": 1}, {"host": "h", "port": 0}],
            },
        }
    )
    error = _problems(doc)
    assert error.message == "invalid config, 3 problems"
    assert error.details == [
        "  storage.redis.connections.p1.password.env: required",
        "  storage.redis.connections.p2.password.command[1]: must not be empty",
        "  storage.redis.connections.p3.sentinels[1].port: must be >= 1",
    ]
    assert error.hint == "fix the keys above, or run: zen config edit"
    one = _problems(_doc({"p1": {"password": {}}}))
    assert one.message == "invalid config, 1 problem"
    assert one.details == [
        "  storage.redis.connections.p1.password: needs a 'source' key (keyring, env or command)"
    ]


@pytest.mark.parametrize("gate", [check, validate])
def test_a_file_without_version_is_legacy_before_anything_else(gate: Any) -> None:
    with pytest.raises(ConfigError) as info:
        gate({"storage": {"type": 5, "bogus": True}}, PATH)
    assert info.value.message == "no 'version' key: this is the original (legacy) layout"
    assert info.value.details == []  # the type errors are not reported: migrate first
    assert info.value.hint == "upgrade it with: zen config migrate"


def test_a_string_version_beside_storage_is_an_earlier_zen_cli_file() -> None:
    with pytest.raises(ConfigError) as info:
        check({"version": "2.8.1-" + "x" * 40, "storage": {}}, PATH)
    assert info.value.message == (
        "this is not a zenconfig file (version '2.8.1-xxxxxxxxxxxxxx': an earlier zen-cli "
        "kept its own config.json here)"
    )
    assert info.value.hint is not None
    assert f"mv {PATH} {PATH}.zen-cli" in info.value.hint
    # without a storage object it is just a wrong value
    assert _problems({"version": "2"}).details == ["  version: must be 1"]


def test_only_an_integer_version_can_be_newer() -> None:
    with pytest.raises(ConfigError) as info:
        check({"version": 3, "storage": {"type": "nonsense"}}, PATH)
    assert info.value.message == "written by a newer zenconfig (version 3; this one reads 1)"
    assert info.value.hint == "upgrade zenconfig; the file was left as it is"
    assert _problems({"version": 1.5}).details[0].startswith("  version: ")


def test_a_boolean_version_is_said_in_the_files_terms() -> None:
    assert _problems({"version": True}).details == [
        "  version: must be 1 (a number, not true/false)"
    ]


@pytest.mark.parametrize(
    "document",
    [
        configfile.empty_document("./zen-config.schema.json"),
        _doc({"p1": {"port": 7000}}, "p1", type="redis"),
        _doc({"p1": {}}, type="redis", fallback="error"),
        _doc({"p1": {"port": "7000"}}),
        _doc({"a": {"key_prefix": "zen:"}, "b": {"key_prefix": "zen:b:"}}),
        _doc({"p1": {"tls": {"enabled": 1}}}),
    ],
)
def test_check_raises_exactly_when_validate_does(document: dict[str, Any]) -> None:
    try:
        model = validate(document, PATH)
    except ConfigError as expected:
        with pytest.raises(ConfigError) as info:
            check(document, PATH)
        assert (info.value.message, info.value.details) == (expected.message, expected.details)
    else:
        check(document, PATH)  # no error
        assert model.storage.type == document["storage"].get("type", "memory")
