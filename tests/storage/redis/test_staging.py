"""storage/redis/staging.py: each way a key reaches its staging name (COPY across
databases, DUMP/RESTORE, MIGRATE between two servers), keys gone since the scan left
out, and a refused COPY switching the run to DUMP; a refusal told from a lost server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests import servers
from zenconfig import spec
from zenconfig.errors import StorageUnavailableError
from zenconfig.storage.redis import staging
from zenconfig.storage.redis.client import build_client
from zenconfig.storage.redis.contact import open_store
from zenconfig.storage.redis.moving import KeySpace
from zenconfig.storage.redis.store import RedisStore

Make = Callable[..., KeySpace]


@pytest.fixture
def space() -> Iterator[Make]:
    """space(server, prefix, password=None, **entry): a key space; its keys go afterwards."""
    made: list[tuple[KeySpace, Any]] = []

    def make(
        server: servers.Server, prefix: str, password: str | None = None, **entry: Any
    ) -> KeySpace:
        conn = spec.connection(
            f"p{len(made)}", {"port": server.port, "key_prefix": prefix, **entry}
        )
        found = open_store(conn, password).keyspace()
        admin = spec.connection("admin", {"port": server.port, "db": found.db})
        made.append((found, build_client(admin, server.password)))  # the default user cleans up
        return found

    yield make
    for found, client in made:
        for db in {0, found.db}:
            client.execute_command("SELECT", db)
            names = list(client.scan_iter(match=found.prefix + b"*"))
            if names:
                client.delete(*names)
        client.close()


def _fill(source: KeySpace, n: int) -> list[bytes]:
    names = [source.prefix + b"k%d" % i for i in range(n)]
    for i, name in enumerate(names):
        source.store.client.set(name, f"värde-{i}", px=90_000 if i % 2 else None)
    return names


def test_a_refusal_is_returned_a_lost_server_raised(redis_server: servers.Server) -> None:
    import redis.exceptions as rex

    store = open_store(spec.connection("p", {"port": redis_server.port}), None)
    text, refused = staging.refusal(
        lambda: store.call(lambda: store.client.execute_command("NOPE"))
    )
    assert text == "" and isinstance(refused, rex.ResponseError)
    assert staging.refusal(lambda: "fine") == ("fine", None)
    gone = spec.connection("g", {"port": servers.free_port()})
    lost = RedisStore(build_client(gone, None), gone)
    with pytest.raises(StorageUnavailableError):
        staging.refusal(lambda: str(lost.call(lost.client.ping)))


def test_copy_to_another_database_of_one_server(redis_server: servers.Server, space: Make) -> None:
    tag = f"zt:{uuid.uuid4().hex[:8]}:"
    source, target = space(redis_server, tag + "a:"), space(redis_server, tag + "b:", db=3)
    names = _fill(source, 3)
    mover = source.mover(target, "c1", "auto")
    assert (mover.method, mover.target_db) == ("copy", 3)
    items = mover.plan(names)
    source.store.client.delete(names[1])
    staged = staging.by_copy(mover, items)
    assert [i.src for i in staged] == [names[0], names[2]]
    assert target.exists([i.stage for i in items]) == [True, False, True]
    assert source.exists([i.stage for i in items]) == [False] * 3  # nothing left in db 0


def test_dump_carries_values_and_ttls(
    redis_server: servers.Server, victim: servers.Server, space: Make
) -> None:
    tag = f"zt:{uuid.uuid4().hex[:8]}:"
    source, target = space(redis_server, tag), space(victim, tag)
    names = _fill(source, 4)
    mover = source.mover(target, "d1", "auto")
    items = mover.plan([*names, source.prefix + b"never-there"])
    staged = staging.by_dump(mover, items)
    assert [i.src for i in staged] == names and all(i.way == "dump" for i in staged)
    client = target.store.client
    assert [client.get(i.stage) for i in staged] == ["värde-%d".encode() % i for i in range(4)]
    assert [client.pttl(i.stage) > 0 for i in staged] == [False, True, False, True]


def test_migrate_moves_staged_copies_between_servers(
    redis_server: servers.Server, victim: servers.Server, space: Make
) -> None:
    tag = f"zt:{uuid.uuid4().hex[:8]}:"
    source, target = space(redis_server, tag + "a:"), space(victim, tag + "b:")
    names = _fill(source, 5)
    mover = source.mover(target, "m1", "migrate")
    items = mover.plan(names)
    source.store.client.delete(names[4])
    staged = staging.by_migrate(mover, items)
    assert [i.src for i in staged] == names[:4] and mover.method == "migrate"
    assert target.exists([i.stage for i in items]) == [True] * 4 + [False]
    assert source.exists([i.stage for i in items]) == [False] * 5  # moved, not copied
    assert source.exists(names) == [True] * 4 + [False]  # the source keys stay
    assert mover.notes == []


def test_a_refused_copy_switches_the_run_to_dump(
    auth_server: servers.Server, victim: servers.Server, space: Make
) -> None:
    tag = uuid.uuid4().hex[:8]
    # alice may write zen:alice:* only: the staging names of zen:bob: on her server are refused
    source = space(auth_server, f"zen:alice:{tag}:", "alice-pw", username="alice")
    target = space(victim, f"zen:bob:{tag}:")
    names = _fill(source, 3)
    mover = source.mover(target, "x1", "migrate")
    staged = staging.by_migrate(mover, mover.plan(names))
    assert mover.method == "dump" and all(i.way == "dump" for i in staged)
    [note] = mover.notes
    assert note.startswith("migrate refused (") and "can't access" in note
    assert note.endswith("): copied through this process")
    assert target.exists([i.stage for i in staged]) == [True] * 3
    values = [target.store.client.get(i.stage) for i in staged]
    assert values == ["värde-%d".encode() % i for i in range(3)]
    assert auth_server.cli("--scan", "--pattern", f"zen:bob:{tag}:*") == ""  # none on the source
