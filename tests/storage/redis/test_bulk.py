"""storage/redis/bulk.py: each many-key script on real servers: per-key codes, DUMP and
RESTORE between two servers with TTLs, COPY across databases, and the renames with
their receipt."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis.exceptions as rex

from tests import servers
from zenconfig import spec
from zenconfig.storage.redis import bulk
from zenconfig.storage.redis.client import build_client


class Bulk:
    """A project client on a server with every bulk script, and a fresh binary prefix."""

    def __init__(self, server: servers.Server) -> None:
        self.client = build_client(spec.connection("b", {"port": server.port}), None)
        self.prefix = f"zt:{uuid.uuid4().hex[:8]}:".encode() + "ключ-".encode() + b"\xff:"
        self.scripts = {
            name: self.client.register_script(getattr(bulk, name)) for name in bulk.NAMES
        }

    def __call__(self, name: str, *args: Any) -> Any:
        return self.scripts[name](args=list(args))

    def k(self, name: str) -> bytes:
        return self.prefix + name.encode()

    def close(self) -> None:
        for db in (0, 3):
            self.client.execute_command("SELECT", db)
            names = list(self.client.scan_iter(match=self.prefix + b"*"))
            if names:
                self.client.delete(*names)
        self.client.close()


@pytest.fixture
def a(redis_server: servers.Server) -> Iterator[Bulk]:
    found = Bulk(redis_server)
    yield found
    found.close()


@pytest.fixture
def b(victim: servers.Server) -> Iterator[Bulk]:
    found = Bulk(victim)
    yield found
    found.close()


def test_exists_and_delete_per_name(a: Bulk) -> None:
    a.client.set(a.k("one"), "1")
    a.client.rpush(a.k("two \x00 list"), "x")
    names = [a.k("one"), a.k("missing"), a.k("two \x00 list")]
    assert a("EXISTS", *names) == b"101"
    assert a("DELETE", *names) == 2
    assert a("EXISTS", *names) == b"000"
    assert a("EXISTS") == b""


def test_dump_from_one_server_restore_at_another(a: Bulk, b: Bulk) -> None:
    a.client.set(a.k("ttl"), "value", px=50_000)
    a.client.hset(a.k("hash"), mapping={"f": "ü"})
    reply = a("DUMP", a.k("ttl"), a.k("gone"), a.k("hash"))
    assert len(reply) == 6
    (pttl, payload), (gone_ttl, gone), (forever, hashed) = zip(reply[::2], reply[1::2], strict=True)
    assert 0 < pttl <= 50_000 and (gone_ttl, gone) == (-2, None) and forever == -1
    assert b("RESTORE", b.k("t"), pttl, payload, b.k("h"), 0, hashed) == 2
    assert b.client.get(b.k("t")) == b"value" and 0 < b.client.pttl(b.k("t")) <= pttl
    assert b.client.hgetall(b.k("h")) == {b"f": "ü".encode()} and b.client.ttl(b.k("h")) == -1
    with pytest.raises(rex.ResponseError, match="BUSYKEY"):  # RESTORE never overwrites
        b("RESTORE", b.k("t"), 0, payload)


def test_copy_in_place_and_to_another_database(a: Bulk) -> None:
    a.client.set(a.k("src"), "v")
    assert a("COPY", "", a.k("src"), a.k("dst"), a.k("nothing"), a.k("dst2")) == b"10"
    assert a.client.get(a.k("dst")) == b"v" and a.client.exists(a.k("dst2")) == 0
    assert a("COPY", "3", a.k("src"), a.k("other-db")) == b"1"
    assert a.client.exists(a.k("other-db")) == 0
    a.client.execute_command("SELECT", 3)
    assert a.client.get(a.k("other-db")) == b"v"
    a.client.execute_command("SELECT", 0)


def test_renames_with_their_receipt(a: Bulk) -> None:
    c, k = a.client, a.k
    c.mset(
        {
            k("s1"): "new1",
            k("s2"): "new2",
            k("s3"): "new3",
            k("taken"): "old",
            k("old-receipt"): "x",
        }
    )
    pairs = [k("s1"), k("f1"), k("s2"), k("taken"), k("lost"), k("f3")]
    assert a("RENAME", "0", k("receipt"), k("old-receipt"), *pairs) == b"10x"
    assert c.get(k("f1")) == b"new1" and c.get(k("taken")) == b"old"
    assert c.exists(k("s1"), k("s2"), k("old-receipt")) == 0  # the kept copy is dropped
    assert c.get(k("receipt")) == b"1 1 0 1"  # copied kept replaced gone
    c.set(k("s2"), "new2")
    assert a("RENAME", "1", k("receipt2"), k("receipt"), k("s2"), k("taken"), k("s3"), k("f3")) == (
        b"21"
    )
    assert c.get(k("taken")) == b"new2" and c.get(k("f3")) == b"new3"
    assert c.get(k("receipt2")) == b"2 0 1 0" and c.exists(k("receipt")) == 0
    assert a("RENAME", "0", "", "", k("f3"), k("f4")) == b"1"  # no receipt asked: none written
    assert c.exists(k("f4")) == 1
