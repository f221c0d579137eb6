"""A project on each kind of store the data commands serve: standalone Redis, a
3-master Redis Cluster and the local store. ``backend`` (a fixture to import
into a test module as ``backend_fixture``) gives the root options that select it, a way to open its
store, and a raw client for writing behind the store's back (Redis only)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests import servers
from zenconfig import open_storage
from zenconfig.storage.base import Store

# never the in-memory fallback (a writer process would lose its writes silently), and
# room for a loaded 2-core machine opening many clients at once
SLACK = {"connect_seconds": 10, "socket_seconds": 30}


@dataclass
class Backend:
    kind: str  # "redis", "cluster" or "local"
    args: list[str]  # root options selecting it: zen(*args, "storage", ...)
    prefix: str
    raw: Any = None  # a redis-py client (cluster-aware), None for local

    def store(self) -> Store:
        if self.kind == "local":
            return open_storage(local=True)
        return open_storage("p")

    def key(self, relative: str) -> str:
        return self.prefix + relative


@pytest.fixture(name="backend", params=["redis", "cluster", "local"])
def backend_fixture(
    request: pytest.FixtureRequest,
    write_config: Callable[..., Any],
    unique_prefix: str,
) -> Iterator[Backend]:
    import redis
    import redis.cluster

    kind = request.param
    if kind == "local":
        yield Backend("local", ["--local"], "")
        return
    if kind == "redis":
        server: servers.Server = request.getfixturevalue("quiet_server")
        server.cli("FLUSHALL")  # our own test server: the keyspace is this test's alone
        entry = {"port": server.port, "key_prefix": unique_prefix, "timeouts": SLACK}
        write_config({"p": entry}, fallback="error")
        raw: Any = redis.Redis(port=server.port)
    else:
        nodes: list[servers.Server] = request.getfixturevalue("cluster")
        entry = {
            "mode": "cluster",
            "nodes": [{"host": "127.0.0.1", "port": n.port} for n in nodes],
            "key_prefix": unique_prefix,
            "timeouts": SLACK,
        }
        write_config({"p": entry}, fallback="error")
        raw = redis.cluster.RedisCluster(host="127.0.0.1", port=nodes[0].port)
    yield Backend(kind, ["--project", "p"], unique_prefix, raw)
    raw.close()
