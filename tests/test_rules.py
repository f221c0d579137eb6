"""Cross-field rules on plain documents: each problem with its dotted key."""

from __future__ import annotations

from typing import Any

from zenconfig import rules


def _doc(conns: dict[str, Any], **storage: Any) -> dict[str, Any]:
    redis = {
        "connections": conns,
        **({"default": storage.pop("default")} if "default" in storage else {}),
    }
    return {"version": 1, "storage": {**storage, "redis": redis}}


def test_a_valid_document_has_no_problem() -> None:
    assert rules.problems(_doc({"p": {}}, type="redis", default="p")) == []


def test_default_must_name_a_connection() -> None:
    assert rules.problems(_doc({"p": {}}, default="q")) == [
        ("storage.redis.default", "names no connection (known: p)")
    ]


def test_redis_type_needs_a_default() -> None:
    assert rules.problems(_doc({"p": {}}, type="redis")) == [
        ("storage.redis.default", "required when storage.type is 'redis'")
    ]


def test_sentinel_and_cluster_need_their_settings() -> None:
    found = rules.problems(_doc({"s": {"mode": "sentinel"}, "c": {"mode": "cluster", "db": 2}}))
    assert sorted(found) == [
        ("storage.redis.connections.c.db", "must be 0 when mode is 'cluster'"),
        ("storage.redis.connections.c.nodes", "required when mode is 'cluster'"),
        ("storage.redis.connections.s.sentinels", "required when mode is 'sentinel'"),
        ("storage.redis.connections.s.service_name", "required when mode is 'sentinel'"),
    ]


def test_client_certificate_needs_tls() -> None:
    assert rules.problems(_doc({"p": {"tls": {"cert_file": "c.pem"}}})) == [
        ("storage.redis.connections.p.tls.cert_file", "set, but tls.enabled is false")
    ]


def test_overlapping_prefixes_name_the_later_project() -> None:
    conns = {"a": {"key_prefix": "zen:"}, "b": {"key_prefix": "zen:b:"}}
    assert rules.problems(_doc(conns)) == [
        (
            "storage.redis.connections.b.key_prefix",
            "'zen:b:' overlaps 'zen:' of project 'a' on the same server "
            "(each project needs a prefix of its own)",
        )
    ]


def test_default_prefixes_never_overlap() -> None:
    assert rules.problems(_doc({"p": {}, "p2": {}, "p.x": {}})) == []


def test_other_servers_and_databases_may_share_a_prefix() -> None:
    conns = {
        "a": {"key_prefix": "zen:"},
        "b": {"key_prefix": "zen:", "db": 1},
        "c": {"key_prefix": "zen:", "host": "10.0.0.2"},
    }
    assert rules.problems(_doc(conns)) == []
