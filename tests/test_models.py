"""zenconfig.models: strict types, cross-field problems with dotted keys, and defaults."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from zenconfig.models import Config, Connection, SemanticError


def _doc(conns: dict[str, Any], **storage: Any) -> dict[str, Any]:
    return {"version": 1, "storage": {**storage, "redis": {"connections": conns}}}


def _errors(document: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as info:
        Config.model_validate(document)
    return [(tuple(e["loc"]), e["type"]) for e in info.value.errors()]


def _problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        Config.model_validate(document)
    [error] = info.value.errors()
    semantic = (error.get("ctx") or {}).get("error")
    assert isinstance(semantic, SemanticError), error
    return semantic.problems


def test_types_are_strict_and_located_by_key_path() -> None:
    conn = {"port": "6379", "db": 1.0, "tls": {"enabled": 1}, "hots": "typo"}
    base = ("storage", "redis", "connections", "p1")
    assert sorted(_errors(_doc({"p1": conn}))) == sorted(
        [
            ((*base, "port"), "int_type"),
            ((*base, "db"), "int_type"),
            ((*base, "tls", "enabled"), "bool_type"),
            ((*base, "hots"), "extra_forbidden"),
        ]
    )


def test_version_is_the_number_1_not_true() -> None:
    with pytest.raises(ValidationError) as info:
        Config.model_validate({"version": True})
    [error] = info.value.errors()
    assert error["loc"] == ("version",)
    assert "must be 1 (a number, not true/false)" in error["msg"]
    assert _errors({"version": 2}) == [(("version",), "literal_error")]
    assert _errors({}) == [(("version",), "missing")]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("host", "cache\n"),  # `$` alone would let a final newline through
        ("host", "a b"),
        ("username", "al\tice"),
        ("key_prefix", "zen:\x1b"),
        ("client_name", "two words"),
        ("client_name", "naïve"),
    ],
)
def test_names_refuse_spaces_and_control_characters(field: str, value: str) -> None:
    base = ("storage", "redis", "connections", "p1", field)
    assert _errors(_doc({"p1": {field: value}})) == [(base, "string_pattern_mismatch")]


def test_project_names_and_password_sources_are_checked() -> None:
    conns = {
        "bad name": {},
        "p1": {"password": {"source": "env", "env": "1PW"}},
        "p2": {"password": {"source": "vault"}},
        "p3": {"password": "inline"},
        "p4": {"timeouts": {"connect_seconds": float("nan")}},
    }
    base = ("storage", "redis", "connections")
    assert sorted(_errors(_doc(conns))) == sorted(
        [
            ((*base, "bad name", "[key]"), "string_pattern_mismatch"),
            ((*base, "p1", "password", "env", "env"), "string_pattern_mismatch"),
            ((*base, "p2", "password"), "union_tag_invalid"),
            ((*base, "p3", "password"), "model_attributes_type"),
            ((*base, "p4", "timeouts", "connect_seconds"), "finite_number"),
        ]
    )


def test_cross_field_problems_name_dotted_keys_all_at_once() -> None:
    conns = {
        "p1": {"mode": "cluster", "db": 2, "tls": {"cert_file": "c.pem"}},
        "p2": {"mode": "sentinel"},
        "a": {"key_prefix": "zen:"},
        "b": {},
    }
    problems = _problems(_doc(conns, type="redis"))
    assert problems == [
        ("storage.redis.default", "required when storage.type is 'redis'"),
        ("storage.redis.connections.p1.nodes", "required when mode is 'cluster'"),
        ("storage.redis.connections.p1.db", "must be 0 when mode is 'cluster'"),
        ("storage.redis.connections.p1.tls.cert_file", "set, but tls.enabled is false"),
        ("storage.redis.connections.p2.sentinels", "required when mode is 'sentinel'"),
        ("storage.redis.connections.p2.service_name", "required when mode is 'sentinel'"),
        (
            "storage.redis.connections.b.key_prefix",
            "'zen:b:' overlaps 'zen:' of project 'a' on the same server "
            "(each project needs a prefix of its own)",
        ),
    ]
    error = SemanticError(problems[:2])
    assert str(error) == (
        "storage.redis.default: required when storage.type is 'redis'; "
        "storage.redis.connections.p1.nodes: required when mode is 'cluster'"
    )


def test_a_default_that_names_no_connection() -> None:
    document = _doc({"p2": {}, "p1": {"port": 6380}})
    document["storage"]["redis"]["default"] = "p3"
    assert _problems(document) == [("storage.redis.default", "names no connection (known: p1, p2)")]


def test_a_valid_document_gets_defaults_and_names() -> None:
    config = Config.model_validate(
        {"$schema": "./zen.schema.json", "version": 1, **_doc({"zz": {}, "aa": {"port": 7000}})}
    )
    assert config.schema_ == "./zen.schema.json"
    assert config.names() == ["aa", "zz"]
    assert config.connections["aa"].port == 7000
    assert config.connections["zz"] == Connection()
    assert (config.storage.type, config.storage.fallback) == ("memory", "memory")
    assert config.model_dump(by_alias=True)["$schema"] == "./zen.schema.json"
