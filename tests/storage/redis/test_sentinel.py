"""storage/redis/sentinel.py: the first good answer of several wins within a budget, and
master lookups through real Sentinels (found past dead ones, unknown service, none alive)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests import servers
from zenconfig import spec
from zenconfig.errors import StorageUnavailableError
from zenconfig.storage.redis.classify import translate
from zenconfig.storage.redis.client import sentinel_manager
from zenconfig.storage.redis.sentinel import first_answer, sentinels_class


def _sentinels(ports: list[int], budget: float = 1.0) -> Any:
    kwargs = {"socket_connect_timeout": budget, "socket_timeout": budget}
    return sentinels_class()(
        [("127.0.0.1", p) for p in ports], budget=budget, sentinel_kwargs=kwargs
    )


def test_the_first_result_that_is_not_none_wins_without_waiting_for_the_rest() -> None:
    release = threading.Event()

    def never() -> str:
        release.wait(30)
        return "late"

    def fails() -> str:
        raise ValueError("boom")

    try:
        found, errors = first_answer([never, lambda: None, fails, lambda: "good"], budget=30)
    finally:
        release.set()
    assert found == "good"
    assert errors in ([], ["boom"])  # the failure is reported when it came first


def test_no_answer_gives_none_with_every_error_and_the_budget() -> None:
    def fails(text: str) -> Any:
        def call() -> None:
            raise OSError(text)

        return call

    found, errors = first_answer([fails("a"), lambda: None, fails("b")], budget=5)
    assert found is None and sorted(errors) == ["a", "b"]  # None is no error, just no answer
    release = threading.Event()
    try:
        found, errors = first_answer([lambda: release.wait(30) and None], budget=0.2)
    finally:
        release.set()
    assert (found, errors) == (None, ["no answer within 0.2s"])


def test_the_master_is_found_past_dead_sentinels(watched: tuple[Any, Any]) -> None:
    master, sentinel = watched
    with servers.unanswering_listener() as dead:
        sentinels = _sentinels([servers.free_port(), dead, sentinel.port])
        assert sentinels.discover_master("mymaster") == ("127.0.0.1", master.port)


def test_an_unknown_service_says_so_without_errors(watched: tuple[Any, Any]) -> None:
    from redis.sentinel import MasterNotFoundError

    _, sentinel = watched
    with pytest.raises(MasterNotFoundError) as caught:
        _sentinels([sentinel.port]).discover_master("nobody")
    assert str(caught.value) == "no Sentinel knows a master for 'nobody'"


def test_no_live_sentinel_is_unreachable_with_each_reason() -> None:
    from redis.sentinel import MasterNotFoundError

    ports = [servers.free_port(), servers.free_port()]
    conn = spec.connection(
        "s",
        {
            "mode": "sentinel",
            "service_name": "mymaster",
            "sentinels": [{"host": "127.0.0.1", "port": p} for p in ports],
            "timeouts": {"connect_seconds": 1},
        },
    )
    with pytest.raises(MasterNotFoundError) as caught:
        sentinel_manager(conn).discover_master("mymaster")
    text = str(caught.value)
    assert text.startswith("no Sentinel knows a master for 'mymaster': ")
    assert text.count("Connection refused") == 2
    # nothing was sent to a master: even a write is unreachable, not of unknown outcome
    ours = translate(caught.value, "s", conn.address(), write=True)
    assert type(ours) is StorageUnavailableError
    assert ours.where == f"sentinel mymaster@127.0.0.1:{ports[0]}/0"
