"""storage/redis/contact.py: the first contact's client and timeouts, one shared client per
project and password, and how each failure to open is reported (nothing cached)."""

from __future__ import annotations

from typing import Any

import pytest

from tests import servers
from zenconfig import spec
from zenconfig.errors import StorageUnavailableError, ZenConfigError
from zenconfig.storage.redis import contact


def _conn(entry: dict[str, Any], name: str = "p") -> Any:
    return spec.connection(name, entry)


def test_one_client_per_project_until_close_all(
    redis_server: servers.Server, unique_prefix: str
) -> None:
    conn = _conn({"port": redis_server.port, "key_prefix": unique_prefix})
    first = contact.open_store(conn, None)
    again = contact.open_store(conn, None)
    assert first is not again and first.client is again.client
    other = contact.open_store(_conn({"port": redis_server.port, "key_prefix": "zt:other:"}), None)
    assert other.client is not first.client  # another project: its own pool
    contact.close_all()
    assert contact._CLIENTS == {}
    fresh = contact.open_store(conn, None)
    assert fresh.client is not first.client
    fresh.set("k", "v", ttl=60)
    assert fresh.get("k") == "v"
    fresh.delete("k")


def test_the_first_connection_keeps_the_normal_timeouts(redis_server: servers.Server) -> None:
    conn = _conn(
        {"port": redis_server.port, "timeouts": {"connect_seconds": 0.5, "socket_seconds": 7}}
    )
    client = contact.open_client(conn, None)
    try:
        pool = client.connection_pool
        assert pool.connection_kwargs["socket_timeout"] == 7
        assert pool.connection_kwargs["socket_connect_timeout"] == 0.5
        connection = pool.get_connection()  # the one made for the first contact
        try:
            assert connection.socket_timeout == 7
            assert connection.socket_connect_timeout == 0.5
            assert connection._sock is not None and connection._sock.gettimeout() == 7
        finally:
            pool.release(connection)
        first = client.client_id()
        assert client.ping() is True and client.client_id() == first  # reused, not made again
    finally:
        client.close()


def test_a_refused_port_is_unreachable_and_nothing_is_cached() -> None:
    port = servers.free_port()
    conn = _conn({"port": port, "timeouts": {"connect_seconds": 1}})
    with pytest.raises(StorageUnavailableError) as caught:
        contact.open_store(conn, None)
    assert caught.value.message.startswith("Redis for project 'p' is unreachable: ")
    assert caught.value.where == f"127.0.0.1:{port}/0"
    assert contact._CLIENTS == {}


def test_wrong_credentials_raise_and_nothing_is_cached(auth_server: servers.Server) -> None:
    conn = _conn({"port": auth_server.port})
    with pytest.raises(ZenConfigError) as caught:
        contact.open_store(conn, "not-it")
    assert not isinstance(caught.value, StorageUnavailableError)
    assert caught.value.message.startswith("Redis refused the credentials of project 'p'")
    assert contact._CLIENTS == {}
    store = contact.open_store(conn, "server-pw")  # the right one opens
    assert store.ping() >= 0


def test_no_cluster_seed_answering_names_each_one() -> None:
    import redis.exceptions as rex

    ports = [servers.free_port(), servers.free_port()]
    conn = _conn(
        {
            "mode": "cluster",
            "nodes": [{"host": "127.0.0.1", "port": p} for p in ports],
            "timeouts": {"connect_seconds": 1},
        },
        name="c",
    )
    with pytest.raises(rex.ConnectionError) as caught:
        contact.open_client(conn, None)
    text = str(caught.value)
    assert text.startswith("no Cluster node answered: ")
    assert text.count("Connection refused") == 2
    with pytest.raises(StorageUnavailableError) as ours:
        contact.open_store(conn, None)
    assert "no Cluster node answered" in ours.value.message
    assert ours.value.where == "cluster " + ",".join(f"127.0.0.1:{p}" for p in ports)
    assert contact._CLIENTS == {}
