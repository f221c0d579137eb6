"""``store``: a Redis store on the session's server under a prefix of its own (not ASCII,
so that every key operation is checked byte for byte), emptied after the test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests import servers
from zenconfig import spec
from zenconfig.storage.redis.contact import open_store
from zenconfig.storage.redis.store import RedisStore


@pytest.fixture
def store(redis_server: servers.Server) -> Iterator[RedisStore]:
    prefix = f"zt:ü-{uuid.uuid4().hex[:10]}:"
    found = open_store(
        spec.connection("p", {"port": redis_server.port, "key_prefix": prefix}), None
    )
    yield found
    keys = list(found.scan("*"))
    found.delete(*keys)
