"""Fault injection against a standalone server: every failure shape.

Shapes (``tests.storage.faults``): a refused port, an unanswered SYN (full
backlog), a listener that accepts and never answers, a SIGSTOPped server, a
slow server (a proxy that holds replies). Each test
asserts the time bound, the outcome (fallback, error; stored, refused or
unknown) and that nothing was duplicated or lost.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.storage import faults
from tests.storage.faults import (
    CONNECT,
    MARGIN,
    OPENING,
    SHAPES,
    SOCKET,
    TIMEOUTS,
    assert_fell_back,
    assert_unreachable,
    fresh,
    shape,
    timed,
)
from zenconfig import ConversationStore, open_storage
from zenconfig.errors import ExitCode, StorageUnavailableError, WriteUnknownError
from zenconfig.storage.base import THREAD_FULL

# -- the fallback decision --------------------------------------------


@pytest.mark.parametrize("fallback", ["memory", "error"])
@pytest.mark.parametrize("kind", SHAPES)
def test_standalone_decision(write_config, victim, capsys, kind: str, fallback: str) -> None:
    with shape(kind, victim) as port:
        write_config({"p": {"port": port, "timeouts": OPENING}}, default="p", fallback=fallback)
        elapsed, store = timed(open_storage)
    if fallback == "memory":
        assert_fell_back(elapsed, store, capsys.readouterr().err, "p")
    else:
        assert_unreachable(elapsed, store)
        assert "is unreachable" in str(store)


def test_slow_but_within_the_timeout_opens(write_config, victim) -> None:
    with faults.DelayProxy(victim.port, delay=CONNECT / 10) as proxy:
        write_config({"p": {"port": proxy.port, "timeouts": TIMEOUTS}}, default="p")
        store = open_storage()
        assert not store.degraded
        store.set_with_ttl("k", 60, "v")
        assert store.get("k") == "v"


def test_unavailable_password_source_follows_the_policy(write_config, victim, capsys) -> None:
    command = {"source": "command", "command": ["/bin/false"]}
    write_config({"p": {"port": victim.port, "password": command}}, default="p")
    assert open_storage().degraded
    assert capsys.readouterr().err.count("zen: warning: ") == 1


# -- standalone: an open store that stalls ------------------------------------------


@pytest.fixture
def slow_store(write_config, victim, unique_prefix) -> Iterator[tuple[Any, faults.DelayProxy]]:
    with faults.DelayProxy(victim.port) as proxy:
        write_config(
            {
                "p": {
                    "port": proxy.port,
                    "key_prefix": unique_prefix,
                    "timeouts": TIMEOUTS,
                    "max_turns": 1000,
                }
            },
            default="p",
        )
        store = open_storage()
        assert not store.degraded
        yield store, proxy
        proxy.delay = 0
        fresh()
    for key in victim.cli("--scan", "--pattern", unique_prefix + "*").split():
        victim.cli("DEL", key)


def test_a_stall_costs_one_socket_timeout(slow_store) -> None:
    store, proxy = slow_store
    conversations = ConversationStore(store)
    tid = conversations.create_thread("chat")
    assert conversations.add_turn(tid, "user", "hello")
    proxy.delay = 3 * SOCKET
    for call in (
        lambda: store.get("k"),
        lambda: conversations.get_thread(tid),
        lambda: list(store.scan("*")),
        lambda: store.thread_list(10),
    ):
        elapsed, error = timed(call)
        assert isinstance(error, StorageUnavailableError), error
        assert elapsed < SOCKET + MARGIN, f"{elapsed:.2f}s: more than one socket timeout"


def test_an_open_store_waits_the_socket_timeout_not_the_connect_timeout(slow_store) -> None:
    """Replies slower than the connect timeout but within the socket timeout are fine."""
    store, proxy = slow_store
    store.set("k", "v", ttl=60)
    proxy.delay = (CONNECT + SOCKET) / 2
    assert store.get("k") == "v"
    conversations = ConversationStore(store)
    assert conversations.create_thread("chat", thread_id="patient") == "patient"


def test_a_write_without_an_answer_is_unknown_and_never_repeated(slow_store, victim) -> None:
    store, proxy = slow_store
    conversations = ConversationStore(store)
    tid = conversations.create_thread("chat")
    assert conversations.add_turn(tid, "user", "first")
    proxy.delay = 3 * SOCKET
    elapsed, error = timed(lambda: conversations.add_turn(tid, "user", "once"))
    assert isinstance(error, WriteUnknownError), error
    assert error.exit_code == ExitCode.STORAGE_UNREACHABLE
    assert elapsed < SOCKET + MARGIN
    elapsed, error = timed(lambda: conversations.create_thread("chat", thread_id="fresh-1"))
    assert isinstance(error, WriteUnknownError), error
    proxy.delay = 0
    time.sleep(3 * SOCKET)  # the held replies drain
    thread = conversations.get_thread(tid)
    assert thread is not None and [t.content for t in thread.turns] == ["first", "once"]
    existed = store.thread_read("fresh-1")[0] is not None  # unknown: either is possible
    assert store.thread_create("fresh-1", {"tool_name": "chat"}, 60) is not existed
    assert [r.thread_id for r in store.thread_list(10)].count("fresh-1") == 1


@pytest.mark.slow
def test_200_appends_through_a_slow_server(slow_store) -> None:
    """Every acknowledged turn present exactly once; unknown ones at most once."""
    store, proxy = slow_store
    conversations = ConversationStore(store)
    tid = conversations.create_thread("chat")
    acked, unknown = [], []
    for i in range(200):
        proxy.delay = 2 * SOCKET if i % 25 == 7 else (0.02 if i % 3 == 0 else 0)
        try:
            assert conversations.add_turn(tid, "user", f"turn {i}")
            acked.append(f"turn {i}")
        except WriteUnknownError:
            unknown.append(f"turn {i}")
        except StorageUnavailableError:
            pass  # not sent: the next call reconnects
    proxy.delay = 0
    time.sleep(2 * SOCKET)
    thread = conversations.get_thread(tid)
    assert thread is not None
    stored = [t.content for t in thread.turns]
    assert len(stored) == len(set(stored))  # nothing doubled
    assert set(acked) <= set(stored)  # nothing acknowledged lost
    assert set(stored) <= set(acked) | set(unknown)  # nothing from nowhere
    assert unknown, "the slow replies should have made some outcomes unknown"


def test_a_stopped_server_costs_one_socket_timeout(write_config, victim, unique_prefix) -> None:
    write_config(
        {"p": {"port": victim.port, "key_prefix": unique_prefix, "timeouts": TIMEOUTS}},
        default="p",
    )
    conversations = ConversationStore(open_storage())
    tid = conversations.create_thread("chat")
    with faults.stopped(victim):
        elapsed, error = timed(lambda: conversations.add_turn(tid, "user", "during stop"))
        assert isinstance(error, WriteUnknownError), error
        assert elapsed < SOCKET + MARGIN
        elapsed, error = timed(lambda: conversations.get_thread(tid))
        assert isinstance(error, StorageUnavailableError), error
        assert elapsed < SOCKET + MARGIN
    time.sleep(0.2)
    thread = conversations.get_thread(tid)
    assert thread is not None and [t.content for t in thread.turns] == ["during stop"]


def test_refused_append_returns_full_not_an_error(write_config, victim, unique_prefix) -> None:
    write_config(
        {"p": {"port": victim.port, "key_prefix": unique_prefix, "max_turns": 1}}, default="p"
    )
    store = open_storage()
    store.thread_create("t", {"tool_name": "chat"}, 60)
    assert store.thread_append("t", "a", "now", 60, 1) == 1
    assert store.thread_append("t", "b", "now", 60, 1) == THREAD_FULL
