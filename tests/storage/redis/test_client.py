"""The Redis adapter's single decisions: one client builder, one TLS policy, one
error classifier, one text/bytes rule, no automatic retries; byte-correct keys."""

from __future__ import annotations

import ast
import json
import time
import uuid
from pathlib import Path

import pytest

from tests import servers
from zenconfig import ConversationStore, open_storage, spec
from zenconfig.errors import StorageUnavailableError, ZenConfigError
from zenconfig.storage import redis as redis_backend

PACKAGE = Path(__file__).resolve().parents[2] / "zenconfig"
CONSTRUCTORS = {"Redis", "RedisCluster", "Sentinel", "ConnectionPool", "SSLContext"}


def _calls(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            names.add(name)
    return names


def test_one_client_builder_and_one_tls_policy() -> None:
    """Only storage/redis/client.py builds a client, a pool or a TLS context."""
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            (_calls(path) & CONSTRUCTORS) | ({"create_default_context"} & _calls(path))
        )
        for path in PACKAGE.rglob("*.py")
        if path.name != "client.py" or path.parent.name != "redis"
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_one_error_classifier() -> None:
    """Only classify.py looks at redis exception classes or texts."""
    needles = ("AuthenticationError", "NoPermissionError", "WRONGPASS", "NOPERM", "OOM")
    found = {
        str(path.relative_to(PACKAGE)): [n for n in needles if n in path.read_text()]
        for path in (PACKAGE / "storage" / "redis").glob("*.py")
        if path.name != "classify.py"
    }
    assert {k: v for k, v in found.items() if v} == {}


def test_no_automatic_retry_in_any_client(redis_server: servers.Server) -> None:
    conn = spec.connection("p", {"port": redis_server.port})
    client = redis_backend.build_client(conn, None)
    assert client.get_retry().get_retries() == 0
    assert client.connection_pool.get_connection().retry.get_retries() == 0


PREFIX = "zen:проект:"
THREAD = "нить-🧵"


def test_unicode_prefix_and_thread_id_are_byte_correct(
    write_config, redis_server: servers.Server
) -> None:
    write_config({"p": {"port": redis_server.port, "key_prefix": PREFIX}}, default="p")
    store = open_storage()
    conversations = ConversationStore(store)
    conversations.create_thread("чат", thread_id=THREAD)
    assert conversations.add_turn(THREAD, "user", "привет")
    store.set_with_ttl("ключ", 60, "значение")
    raw = set(redis_server.cli("--scan", "--pattern", "zen:*").splitlines())
    assert {f"{PREFIX}thread:{{{THREAD}}}:meta", f"{PREFIX}ключ"} <= raw
    assert sorted(store.scan("thread:*")) == [
        f"thread:{{{THREAD}}}:meta",
        f"thread:{{{THREAD}}}:turns",
    ]
    assert [r.thread_id for r in store.thread_list(10)] == [THREAD]
    thread = conversations.get_thread(THREAD)
    assert thread is not None and thread.turns[0].content == "привет"
    assert store.get("ключ") == "значение"
    exported = [r for batch in store.export_threads(10) for r in batch]
    assert [r.thread_id for r in exported] == [THREAD]
    assert conversations.delete_thread(THREAD)
    assert store.delete("ключ") == 1
    left = redis_server.cli("--scan", "--pattern", PREFIX + "*")
    assert left in ("", f"{PREFIX}index:{{threads}}:complete")  # the index's marker may stay


def test_a_key_that_is_not_utf8_round_trips(redis_server: servers.Server, unique_prefix) -> None:
    conn = spec.connection("p", {"port": redis_server.port, "key_prefix": unique_prefix})
    store = redis_backend.open_store(conn, None)
    raw = unique_prefix.encode() + b"bad-\xff"
    client = redis_backend.build_client(conn, None)
    client.set(raw, b"\xfe")
    (key,) = list(store.scan("bad-*"))
    assert store.exists(key)
    assert store.delete(key) == 1
    assert client.exists(raw) == 0


def test_copy_between_unicode_prefixes(zen, write_config, redis_server, tmp_path: Path) -> None:
    write_config(
        {
            "a": {"port": redis_server.port, "key_prefix": "zen:проект-а:"},
            "b": {"port": redis_server.port, "key_prefix": "zen:проект-б:"},
        }
    )
    conversations = ConversationStore(open_storage("a"))
    conversations.create_thread("chat", thread_id=THREAD)
    conversations.add_turn(THREAD, "user", "copy me")
    r = zen("storage", "copy", "--from", "a", "--to", "b", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["verified"]["ok"]
    copied = ConversationStore(open_storage("b")).get_thread(THREAD)
    assert copied is not None and copied.turns[0].content == "copy me"
    for key in redis_server.cli("--scan", "--pattern", "zen:проект-*").splitlines():
        redis_server.cli("DEL", key)


def test_translate_covers_every_redis_error() -> None:
    import redis.exceptions as rex

    for error in (rex.ConnectionError("x"), rex.TimeoutError("x"), OSError("x")):
        assert isinstance(redis_backend.translate(error, "p", "h"), StorageUnavailableError)
    cluster = rex.RedisClusterException("Redis Cluster cannot be connected. internal error")
    assert isinstance(redis_backend.translate(cluster, "p", "h"), StorageUnavailableError)
    assert type(redis_backend.translate(rex.ResponseError("ERR x"), "p", "h")) is ZenConfigError


def test_tls_stage_and_store_agree(zen, write_config, tls_server) -> None:
    """test-connection's TLS stage and the store share one policy: a wrong CA fails both."""
    server, _, other = tls_server
    write_config(
        {"t": {"port": server.port, "tls": {"enabled": True, "ca_file": other["ca"]}}}, default="t"
    )
    r = zen("config", "test-connection", "t", "--json")
    tls = next(s for s in r.json()[0]["stages"] if s["name"] == "tls")
    assert not tls["ok"]
    assert tls["detail"].startswith("TLS verification of the Redis server failed for project 't'")
    with pytest.raises(ZenConfigError, match="TLS verification of the Redis server failed"):
        open_storage()


def test_replies_keep_the_connection_in_step_after_an_error_reply(
    redis_server: servers.Server, unique_prefix: str
) -> None:
    """An error reply among several is raised once all are read: the connection goes
    back to the pool in step, and the next call reads its own replies on it."""
    import redis

    from zenconfig.storage.redis.client import replies

    client = redis.Redis(port=redis_server.port)
    text_key, list_key = f"{unique_prefix}text", f"{unique_prefix}list"
    try:
        client.set(text_key, b"a text")
        client.rpush(list_key, b"one", b"two")
        (before,) = replies(client, ("CLIENT", "ID"))
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            replies(client, ("HGETALL", text_key), ("LRANGE", list_key, 0, -1))
        after, listed = replies(client, ("CLIENT", "ID"), ("LRANGE", list_key, 0, -1))
        assert after == before  # the same connection, not a new one
        assert listed == [b"one", b"two"]
    finally:
        client.delete(text_key, list_key)
        client.close()


def test_replies_drop_a_connection_whose_reply_did_not_come_in_time(
    redis_server: servers.Server, unique_prefix: str
) -> None:
    """A reply late past the socket timeout would be read by the next call if the
    connection went back as it was: it is dropped, and the next call is answered right."""
    import redis

    from zenconfig.storage.redis.client import replies

    client = redis.Redis(port=redis_server.port, socket_timeout=0.2)
    key = f"{unique_prefix}value"
    try:
        client.set(key, b"the value")
        (before,) = replies(client, ("CLIENT", "ID"))
        with pytest.raises(redis.TimeoutError):
            replies(client, ("BLPOP", f"{unique_prefix}empty", 1))  # its nil comes in 1 s
        time.sleep(1.2)
        (found,) = replies(client, ("GET", key))
        assert found == b"the value"
        assert replies(client, ("CLIENT", "ID"))[0] != before
    finally:
        client.delete(key)
        client.close()


def test_more_threads_than_connections_wait_for_one(
    redis_server: servers.Server, unique_prefix: str
) -> None:
    """16 threads on a pool of 2: every call waits for a connection, none fails, and
    the pool never opens more than 2."""
    import threading

    from zenconfig.storage.redis.contact import open_store

    name = f"pooltest-{uuid.uuid4().hex[:8]}"
    entry = {"port": redis_server.port, "key_prefix": unique_prefix, "client_name": name}
    conn = spec.connection("p", {**entry, "pool": {"max_connections": 2}})
    store = open_store(conn, None)
    conversations = ConversationStore(store)
    failed: list[BaseException] = []

    def work(n: int) -> None:
        try:
            tid = conversations.create_thread("chat", {})
            for i in range(20):
                conversations.add_turn(tid, "user", f"{n}-{i}")
                assert conversations.get_thread(tid) is not None
        except BaseException as e:  # any failure is the finding
            failed.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failed == []
    listed = redis_server.cli("CLIENT", "LIST").splitlines()
    assert 1 <= len([line for line in listed if f" name={name} " in line]) <= 2


def test_a_full_pool_is_not_a_lost_write() -> None:
    """No connection to give (redis-py's pools, or the waiting one timed out): nothing
    was sent, so a write is not 'may or may not be stored', nor the server unreachable."""
    import redis

    from zenconfig.errors import WriteUnknownError
    from zenconfig.storage.redis.classify import translate

    for error in (
        redis.exceptions.MaxConnectionsError("Too many connections"),
        redis.ConnectionError("No connection available."),
    ):
        found = translate(error, "p", "127.0.0.1:6379/0", write=True)
        assert not isinstance(found, WriteUnknownError | StorageUnavailableError)
        assert "in use (nothing was sent)" in found.message
        assert found.hint == "raise the pool: zen config set p pool.max_connections N"
