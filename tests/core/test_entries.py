"""zenconfig.core.entries: --url parsed into fields, and a new entry's problems said as flags."""

from __future__ import annotations

from typing import Any

import pytest

from zenconfig.core.entries import explain, parse_url
from zenconfig.errors import ConfigError, ExitCode, UsageError

PREFIX = "storage.redis.connections.p9."


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("redis://", {}),
        ("redis://Cache.Example", {"host": "cache.example"}),
        (
            "redis://my%20user@h:7000/15",
            {"host": "h", "port": 7000, "username": "my user", "db": 15},
        ),
        ("redis://h/0/", {"host": "h", "db": 0}),
        ("rediss://[::1]", {"host": "::1", "tls.enabled": True}),
        (
            "rediss://[fe80::1%eth0]:6380",
            {"host": "fe80::1%eth0", "port": 6380, "tls.enabled": True},
        ),
    ],
)
def test_a_url_becomes_field_values(url: str, fields: dict[str, Any]) -> None:
    assert parse_url(url) == fields


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://h:6379", "--url must start with redis:// or rediss://, not 'http://'"),
        ("unix:///run/redis.sock", "--url must start with redis:// or rediss://, not 'unix://'"),
        ("redis://h/db2", "--url database must be a number, not 'db2'"),
        ("redis://h:99999/0", "--url has a bad port: "),  # the rest is urllib's wording
        ("redis://h:port/0", "--url has a bad port: "),
    ],
)
def test_a_url_that_cannot_be_a_project_is_a_usage_error(url: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_url(url)
    assert info.value.message.startswith(message)
    assert info.value.exit_code == ExitCode.USAGE


def test_an_encoded_zone_id_is_decoded_like_the_user_name() -> None:
    assert parse_url("redis://[fe80::1%25lo]:6379")["host"] == "fe80::1%lo"


def _invalid(*problems: str) -> ConfigError:
    return ConfigError("invalid config", details=["  " + p for p in problems])


def test_problems_with_flag_values_are_a_usage_error_naming_each_flag() -> None:
    error = _invalid(
        PREFIX + "tls.enabled: must be true or false",
        PREFIX + "sentinels[0].port: must be >= 1",
        PREFIX + "host: must match ^\\S+$",
        PREFIX + "db: must be <= 15",
    )
    settings = {
        "tls.enabled": "yes",
        "sentinels": [{"host": "h", "port": 0}],
        "host": "a\x1bb c",
        "db": 99,
    }
    origins = {"tls.enabled": "--tls", "sentinels": "--sentinel", "host": "--host", "db": "--url"}
    result = explain(error, "p9", settings, origins)
    assert isinstance(result, UsageError)
    assert result.message == "--tls yes: must be true or false"
    assert result.details == [
        "  --sentinel (sentinels[0].port): must be >= 1",  # a list: the field, not the value
        "  --host a\\x1bb c: must match ^\\S+$",  # a control character is escaped
        "  --url (db): must be <= 15",  # from the URL: which part of it
    ]
    assert result.hint == "nothing was written"


def test_problems_not_from_a_flag_make_it_an_invalid_config() -> None:
    error = _invalid(
        PREFIX + "port: must be <= 65535",
        PREFIX + "key_prefix: 'zen:' overlaps 'zen:a:' of project 'a'",
    )
    result = explain(error, "p9", {"port": 70000}, {"port": "--port"})
    assert type(result) is ConfigError
    assert result.exit_code == ExitCode.INVALID_CONFIG
    assert result.message == "project 'p9' cannot be added: 2 problem(s)"
    assert result.details == [
        "  --port 70000: must be <= 65535",
        "  " + PREFIX + "key_prefix: 'zen:' overlaps 'zen:a:' of project 'a'",
    ]
    assert result.hint == "nothing was written; change the flags above"
    assert "zen config edit" not in str(result) + str(result.hint)


def test_a_problem_of_another_project_is_never_blamed_on_a_flag() -> None:
    error = _invalid("storage.redis.connections.p99.port: must be <= 65535")
    result = explain(error, "p9", {"port": 70000}, {"port": "--port"})
    assert type(result) is ConfigError
    assert result.details == ["  storage.redis.connections.p99.port: must be <= 65535"]
