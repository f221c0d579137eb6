"""storage/redis/classify.py: real redis-py failures (refused, lost answer, credentials,
ACL, out of memory, read-only replica, missing database) sorted into our error kinds."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from tests.storage import faults
from zenconfig import spec
from zenconfig.errors import (
    ExitCode,
    StorageUnavailableError,
    WriteRefusedError,
    WriteUnknownError,
    ZenConfigError,
)
from zenconfig.storage.redis import bulk
from zenconfig.storage.redis.classify import redis_errors, translate
from zenconfig.storage.redis.client import build_client


def _raised(entry: dict[str, Any], password: str | None, command: Callable[[Any], Any]) -> Any:
    """The redis-py error a real client of the project raises for ``command``."""
    conn = spec.connection("p", entry)
    client = build_client(conn, password)
    try:
        with pytest.raises(redis_errors()) as caught:
            command(client)
    finally:
        client.close()
    return caught.value


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[servers.Server]:
    """A server of this test's own, to be filled up or turned into a replica."""
    server = servers.start(tmp_path / "scratch", conf="databases 4\n")
    yield server
    server.stop()


def test_a_refused_port_is_unreachable_even_for_a_write() -> None:
    error = _raised({"port": servers.free_port()}, None, lambda c: c.set("k", "v"))
    for write in (False, True):  # nothing was sent: the write certainly did not happen
        ours = translate(error, "p", "here", write=write)
        assert type(ours) is StorageUnavailableError
        assert ours.exit_code == ExitCode.STORAGE_UNREACHABLE
        assert ours.message.startswith("Redis for project 'p' is unreachable: ")
        assert "Connection refused" in ours.message
        assert ours.where == "here"


def test_a_write_sent_without_an_answer_is_unknown_a_read_unavailable() -> None:
    entry = {"timeouts": {"connect_seconds": 1, "socket_seconds": 0.2}}
    with faults.hanging_listener() as port:
        error = _raised({**entry, "port": port}, None, lambda c: c.set("k", "v"))
    write = translate(error, "p", "here", write=True)
    assert type(write) is WriteUnknownError
    assert write.exit_code == ExitCode.STORAGE_UNREACHABLE
    assert write.message.startswith(
        "Redis for project 'p' did not answer a write: it may or may not have been stored ("
    )
    assert write.hint == "read it back before writing it again"
    read = translate(error, "p", "here", write=False)
    assert type(read) is StorageUnavailableError


def test_credentials_are_hard_errors_never_unavailable(auth_server: servers.Server) -> None:
    entry = {"port": auth_server.port}
    missing = translate(_raised(entry, None, lambda c: c.ping()), "p", "here", write=True)
    assert type(missing) is ZenConfigError
    assert missing.message == "Redis for project 'p' requires a password and the project has none"
    assert missing.hint == "store one: zen config set-password p"
    wrong = translate(_raised(entry, "not-it", lambda c: c.ping()), "p", "here")
    assert type(wrong) is ZenConfigError
    assert wrong.exit_code == ExitCode.ERROR
    assert wrong.message.startswith("Redis refused the credentials of project 'p': ")
    assert "not-it" not in str(wrong)
    assert wrong.hint is not None and "zen config set-password p" in wrong.hint


def test_an_acl_denial_names_the_prefix(auth_server: servers.Server) -> None:
    entry = {"port": auth_server.port, "username": "alice"}
    error = _raised(entry, "alice-pw", lambda c: c.set("zen:bob:k", "v"))
    ours = translate(error, "p", "here", write=True, prefix="zen:bob:")
    assert type(ours) is ZenConfigError
    assert ours.message.startswith("the Redis ACL denies project 'p' (prefix 'zen:bob:'): ")
    assert ours.hint is not None and "~zen:NAME:*" in ours.hint
    bare = translate(error, "p", "here")
    assert bare.message.startswith("the Redis ACL denies project 'p': ")


def test_an_acl_denial_inside_a_script_is_an_acl_denial(auth_server: servers.Server) -> None:
    entry = {"port": auth_server.port, "username": "alice"}
    exists = bulk.EXISTS
    error = _raised(entry, "alice-pw", lambda c: c.register_script(exists)(args=[b"zen:bob:k"]))
    assert "can't access at least one of the keys" in str(error)  # the real failure shape
    ours = translate(error, "p", "here", prefix="zen:bob:")
    assert ours.message.startswith("the Redis ACL denies project 'p' (prefix 'zen:bob:'): ")


def test_out_of_memory_and_a_replica_refuse_writes(scratch: servers.Server) -> None:
    faults.fill_to_maxmemory(scratch)
    full = translate(
        _raised({"port": scratch.port}, None, lambda c: c.set("k", "v" * 1000)), "p", "h"
    )
    assert type(full) is WriteRefusedError and full.exit_code == ExitCode.ERROR
    assert full.message == (
        "Redis for project 'p' refused the write: out of memory (maxmemory reached)"
    )
    scratch.cli("CONFIG", "SET", "maxmemory", "0")
    scratch.cli("REPLICAOF", "127.0.0.1", str(servers.free_port()))  # a master that is not there
    replica = _raised({"port": scratch.port}, None, lambda c: c.set("k", "v"))
    ours = translate(replica, "p", "h", write=True)
    assert type(ours) is WriteRefusedError
    assert (
        ours.message == "Redis for project 'p' refused the write: the server is a read-only replica"
    )


def test_a_server_running_a_long_script_is_unavailable_and_did_nothing(
    scratch: servers.Server,
) -> None:
    """BUSY (another client's script past the reply threshold): the command did not run,
    so the server is unavailable for now and a write was not done, not 'unknown'."""
    import threading

    import redis

    from zenconfig.storage.base import turns_key
    from zenconfig.storage.redis.contact import open_store

    store = open_store(spec.connection("p", {"port": scratch.port, "key_prefix": "b:"}), None)
    store.thread_create("t", {"tool_name": "chat"}, 60)
    scratch.cli("CONFIG", "SET", "busy-reply-threshold", "50")
    looping = redis.Redis(port=scratch.port)

    def spin() -> None:
        with contextlib.suppress(redis.ResponseError):  # "Script killed by user"
            looping.eval("while true do end", 0)

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        deadline = time.monotonic() + 10
        while "BUSY" not in scratch.cli("PING") and time.monotonic() < deadline:
            time.sleep(0.02)
        with pytest.raises(StorageUnavailableError) as caught:
            store.thread_append("t", "a turn", "now", 60, 10)
        assert "is not serving commands now (nothing was done): BUSY" in caught.value.message
        assert caught.value.exit_code == ExitCode.STORAGE_UNREACHABLE
    finally:
        scratch.cli("SCRIPT", "KILL")
        spinner.join(10)
        looping.close()
    assert store.client.llen(b"b:" + turns_key("t").encode()) == 0  # it was not done
    loading = translate(redis.BusyLoadingError("Redis is loading the dataset in memory"), "p", "h")
    assert type(loading) is StorageUnavailableError


def test_a_missing_database_names_it(scratch: servers.Server) -> None:
    error = _raised({"port": scratch.port, "db": 9}, None, lambda c: c.ping())
    ours = translate(error, "p", "here", db=9)
    assert type(ours) is ZenConfigError
    assert ours.message == (
        "Redis for project 'p' has no database 9 (SELECT failed: DB index is out of range)"
    )
    assert "has no database ? " in translate(error, "p", "here").message


def test_other_replies_are_plain_errors_and_ours_pass_through(
    redis_server: servers.Server,
) -> None:
    error = _raised({"port": redis_server.port}, None, lambda c: c.execute_command("NOSUCHCMD"))
    ours = translate(error, "p", "here", write=True)
    assert type(ours) is ZenConfigError
    assert ours.message.startswith("Redis error for project 'p': unknown command")
    assert translate(ours, "q", "elsewhere") is ours
