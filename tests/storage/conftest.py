from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from zenconfig import runtime as factory


@pytest.fixture(autouse=True)
def fresh_runtime() -> Iterator[None]:
    """Each test starts with no pooled clients, cached stores or warnings."""
    factory.reset()
    yield
    factory.reset()
    from zenconfig.storage import redis as redis_backend

    redis_backend.close_all()


@pytest.fixture(scope="session")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("redis")


@pytest.fixture(scope="session")
def redis_server(server_dir: Path) -> Iterator[servers.Server]:
    server = servers.start(server_dir / "plain")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def quiet_server(server_dir: Path) -> Iterator[servers.Server]:
    """A server of its own for tests whose answers depend on the whole keyspace
    (an index probe walks every key): emptied before each such test."""
    server = servers.start(server_dir / "quiet")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def auth_server(server_dir: Path) -> Iterator[servers.Server]:
    acl = "user alice on >alice-pw ~zen:alice:* &* +@all\n"
    server = servers.start(server_dir / "auth", password="server-pw", conf=acl)
    yield server
    server.stop()


@pytest.fixture
def write_config(config_file: Path) -> Callable[..., Path]:
    """write_config({"p1": {...}}, default="p1") -> the config path."""

    def write(
        connections: dict[str, dict[str, Any]],
        default: str | None = None,
        fallback: str = "memory",
    ) -> Path:
        redis: dict[str, Any] = {"connections": connections}
        if default:
            redis["default"] = default
        doc = {
            "version": 1,
            "storage": {
                "type": "redis" if default else "memory",
                "fallback": fallback,
                "redis": redis,
            },
        }
        config_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        config_file.write_text(json.dumps(doc))
        config_file.chmod(0o600)
        return config_file

    return write


@pytest.fixture
def unique_prefix() -> str:
    return f"zt:{uuid.uuid4().hex[:10]}:"


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory) -> tuple[servers.Server, dict[str, str], dict[str, str]]:
    base = tmp_path_factory.mktemp("tls")
    certs = servers.make_certs(base / "good", "ca")
    other = servers.make_certs(base / "other", "other-ca")
    server = servers.start(base / "srv", tls=certs)
    yield server, certs, other
    server.stop()


@pytest.fixture(scope="module")
def victim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    """A server of the module's own, stopped and slowed by its tests."""
    server = servers.start(tmp_path_factory.mktemp("victim"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[servers.Server]]:
    nodes = servers.start_cluster(tmp_path_factory.mktemp("faults-cluster"))
    yield nodes
    for node in nodes:
        node.stop()
