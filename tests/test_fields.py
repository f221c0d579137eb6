"""Dotted fields of a project, read by their type from the schema."""

from __future__ import annotations

import pytest

from zenconfig import fields
from zenconfig.errors import UsageError


@pytest.mark.parametrize(
    ("field", "raw", "value"),
    [
        ("port", "6380", 6380),
        ("host", "1234", "1234"),
        ("tls.enabled", "yes", True),
        ("tls.verify", "false", False),
        ("conversation_ttl_seconds", "2h", 7200),
        ("conversation_ttl_seconds", "7200", 7200),
        ("timeouts.connect_seconds", "1.5", 1.5),
        ("timeouts.socket_seconds", "2m", 120.0),
        ("username", "null", None),
        ("nodes", '[{"host": "a", "port": 1}]', [{"host": "a", "port": 1}]),
        ("port", "sixty", "sixty"),  # left as text: validation names the field
    ],
)
def test_values_are_read_by_type(field: str, raw: str, value: object) -> None:
    assert fields.parse_value(raw, field) == value


def test_every_model_field_is_known() -> None:
    from zenconfig.models import Connection

    dumped = fields.leaves(Connection().model_dump(mode="json"))
    assert set(dumped) - {"password"} <= set(fields.known_fields())


def test_unknown_field_suggests() -> None:
    with pytest.raises(UsageError) as e:
        fields.check_field("prot", writable=True)
    assert e.value.hint is not None and e.value.hint.startswith("did you mean 'port'?")


def test_password_is_not_set_with_set() -> None:
    with pytest.raises(UsageError, match="the password is not set with 'set'"):
        fields.check_field("password", writable=True)


def test_bad_json_names_the_column() -> None:
    with pytest.raises(UsageError, match="column"):
        fields.parse_value("[1,", "nodes")
