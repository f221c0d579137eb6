"""Server identity: one server under many names is one server."""

from __future__ import annotations

import pytest

from zenconfig import identity, rules, spec


@pytest.mark.parametrize(
    "name",
    ["localhost", "LOCALHOST.", "127.0.0.1", "127.1", "2130706433", "0x7f.1", "::1", "[::1]",
     "::ffff:127.0.0.1", "127.0.0.2", "foo.localhost", "0.0.0.0"],
)  # fmt: skip
def test_loopback_names_are_one_host(name: str) -> None:
    assert identity.host_addresses(name) == identity.LOOPBACK


def test_other_hosts_keep_their_identity() -> None:
    assert identity.host_addresses("10.0.0.1") == {"10.0.0.1"}
    assert identity.host_addresses("Redis1.Example.COM.") == {"redis1.example.com"}
    assert identity.host_addresses("10.1") == {"10.0.0.1"}


def test_same_data_needs_same_port_and_db() -> None:
    a = spec.connection("a", {"host": "localhost", "port": 7000})
    assert identity.same_data(a, spec.connection("b", {"host": "127.1", "port": 7000}))
    assert not identity.same_data(a, spec.connection("b", {"host": "127.1", "port": 7001}))
    assert not identity.same_data(a, spec.connection("b", {"port": 7000, "db": 1}))


def test_same_server_ignores_the_database() -> None:
    a = identity.endpoints({"host": "localhost", "port": 7000, "db": 0})
    b = identity.endpoints({"host": "127.0.0.1", "port": 7000, "db": 3})
    assert identity.same_server(a, b) and not (a & b)


def test_sentinel_master_is_identified_as_a_server() -> None:
    sentinel = {
        "mode": "sentinel",
        "sentinels": [{"host": "h", "port": 26379}],
        "service_name": "m",
    }
    plain = identity.endpoints({"host": "127.0.0.1", "port": 6380})
    assert not identity.endpoints(sentinel) & plain
    assert identity.endpoints(sentinel, master=("localhost", 6380)) == plain


def test_cluster_nodes_are_endpoints() -> None:
    a = {"mode": "cluster", "nodes": [{"host": "localhost", "port": 7000}], "db": 0}
    b = {"mode": "cluster", "nodes": [{"host": "127.0.0.1", "port": 7000}], "db": 0}
    assert identity.same_data(a, b)


def test_resolve_looks_names_up() -> None:
    assert identity.host_addresses("localhost", resolve=True) == identity.LOOPBACK
    assert identity.host_addresses("no-such-host.invalid", resolve=True) == {"no-such-host.invalid"}


@pytest.mark.parametrize("other", ["127.1", "LOCALHOST", "::1", "0x7f000001"])
def test_overlap_rule_sees_through_names(other: str) -> None:
    conns = {
        "a": {"host": "127.0.0.1", "key_prefix": "zen:x:"},
        "b": {"host": other, "key_prefix": "zen:x:y:"},
    }
    assert rules.prefix_overlaps(conns) == [("a", "b")]


def test_overlap_rule_is_byte_wise_for_unicode_prefixes() -> None:
    conns = {
        "a": {"key_prefix": "zen:проект:"},
        "b": {"key_prefix": "zen:проект:x:"},
        "c": {"key_prefix": "zen:прое:"},
    }
    assert rules.prefix_overlaps(conns) == [("a", "b")]


def test_every_nested_prefix_is_found_not_only_neighbours() -> None:
    conns = {
        "x": {"key_prefix": "zen:"},
        "x1": {"key_prefix": "zen:1:"},
        "x2": {"key_prefix": "zen:2:"},
        "y": {"key_prefix": "zz:"},
    }
    assert rules.prefix_overlaps(conns) == [("x", "x1"), ("x", "x2")]


def test_overlap_rule_on_thousands_of_projects() -> None:
    conns = {f"p{i}": {"key_prefix": f"zen:p{i:05d}:"} for i in range(3000)}
    assert rules.prefix_overlaps(conns) == []
    conns["late"] = {"key_prefix": "zen:p01234:sub:"}
    assert rules.prefix_overlaps(conns) == [("late", "p1234")]
