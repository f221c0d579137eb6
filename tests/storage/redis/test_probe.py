"""storage/redis/probe.py: the test-connection stages in order with their details, the
stage each real failure stops at, the Sentinel lookup and the TLS handshake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from zenconfig import spec
from zenconfig.errors import StorageUnavailableError, ZenConfigError
from zenconfig.storage.redis.probe import probe, sentinel_master, tls_handshake


def _stages(entry: dict[str, Any], password: str | None = None) -> list[tuple[str, Any]]:
    conn = spec.connection("p", entry)
    return list(probe("p", conn, password, conn.host, conn.port, 2.0))


@pytest.fixture
def no_info(tmp_path: Path) -> Iterator[servers.Server]:
    """A server whose user bob may use its own keys but not INFO."""
    acl = "user bob on >bob-pw ~zen:bob:* &* +@all -info\n"
    server = servers.start(tmp_path / "no-info", password="server-pw", conf=acl)
    yield server
    server.stop()


def test_every_stage_in_order_with_its_detail(
    redis_server: servers.Server, unique_prefix: str
) -> None:
    stages = _stages({"port": redis_server.port, "db": 2, "key_prefix": unique_prefix})
    assert [name for name, _ in stages] == ["auth", "select", "ping", "probe"]
    (_, auth), (_, select), (_, ping), (_, written) = stages
    assert auth[1:] == ("default", {}) and auth[0] >= 0
    assert select[1:] == ("db 2", {})
    seconds, detail, info = ping
    assert detail == f"{seconds * 1000:.2f} ms" == f"{info['latency_ms']} ms"
    assert (
        info["version"] == redis_server.cli("INFO", "server").split("redis_version:")[1].split()[0]
    )
    assert info["role"] == "master"
    key = written[1]
    assert key.startswith(f"{unique_prefix}zen-probe:") and len(key) == len(unique_prefix) + 42
    assert redis_server.cli("-n", "2", "EXISTS", key) == "0"  # deleted after reading it back


def test_info_refused_is_noted_and_the_probe_goes_on(no_info: servers.Server) -> None:
    entry = {"port": no_info.port, "username": "bob", "key_prefix": "zen:bob:"}
    stages = dict(_stages(entry, "bob-pw"))
    assert stages["auth"][1] == "bob"
    assert stages["ping"][2]["version"] == "unknown (INFO not allowed)"
    assert stages["ping"][2]["role"] == "unknown (INFO not allowed)"
    assert stages["probe"][1].startswith("zen:bob:zen-probe:")
    denied = _stages({**entry, "key_prefix": "zen:eve:"}, "bob-pw")
    name, error = denied[-1]
    assert name == "probe" and type(error) is ZenConfigError
    assert error.message.startswith("the Redis ACL denies project 'p' (prefix 'zen:eve:'): ")


def test_a_refused_port_stops_at_connect() -> None:
    port = servers.free_port()
    [(name, error)] = _stages({"port": port})
    assert name == "connect" and isinstance(error, StorageUnavailableError)
    assert error.where == f"127.0.0.1:{port}/0"


def test_a_wrong_password_stops_at_auth(auth_server: servers.Server) -> None:
    [(name, error)] = _stages({"port": auth_server.port}, "not-it")
    assert name == "auth" and type(error) is ZenConfigError
    assert error.message.startswith("Redis refused the credentials of project 'p'")


def test_a_missing_database_stops_at_select(tmp_path: Path) -> None:
    small = servers.start(tmp_path / "small", conf="databases 4\n")
    try:
        stages = _stages({"port": small.port, "db": 9})
    finally:
        small.stop()
    assert [name for name, _ in stages] == ["auth", "select"]
    error = stages[-1][1]
    assert isinstance(error, ZenConfigError)
    assert error.message.startswith("Redis for project 'p' has no database 9 (SELECT failed")


def test_no_sentinel_answering_is_unreachable() -> None:
    port = servers.free_port()
    conn = spec.connection(
        "s",
        {
            "mode": "sentinel",
            "service_name": "mymaster",
            "sentinels": [{"host": "127.0.0.1", "port": port}],
        },
    )
    with pytest.raises(StorageUnavailableError) as caught:
        sentinel_master(conn, 1.0)
    assert caught.value.message.startswith(
        "Redis for project 's' is unreachable: no Sentinel knows a master for 'mymaster': "
    )
    assert caught.value.where == f"sentinel mymaster@127.0.0.1:{port}/0"


def test_the_tls_handshake_follows_the_verify_policy(tls_server: Any) -> None:
    server, certs, other = tls_server

    def handshake(tls: dict[str, Any]) -> str:
        conn = spec.connection("t", {"port": server.port, "tls": {"enabled": True, **tls}})
        return tls_handshake(conn, "127.0.0.1", server.port, 2.0)

    assert handshake({"ca_file": certs["ca"]}).startswith("TLSv1.")
    assert handshake({"ca_file": other["ca"], "verify": False}).startswith("TLSv1.")
    with pytest.raises(ZenConfigError) as caught:
        handshake({"ca_file": other["ca"]})
    assert caught.value.message.startswith(
        "TLS verification of the Redis server failed for project 't'"
    )
