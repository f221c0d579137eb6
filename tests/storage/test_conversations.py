"""zenconfig.storage.conversations: ConversationStore's threads and turns, on the memory store."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime

import pytest

from zenconfig.errors import ZenConfigError
from zenconfig.storage.base import meta_key, turns_key
from zenconfig.storage.conversations import ConversationStore, ConversationTurn, now
from zenconfig.storage.memory import MemoryStore
from zenconfig.storage.turns import canonical_turn


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore(name="mem-test", default_ttl=120, max_turns=2)


def test_now_is_an_aware_utc_timestamp() -> None:
    stamp = datetime.fromisoformat(now())
    assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0


def test_create_thread_stores_zens_meta_with_the_stores_ttl(store: MemoryStore) -> None:
    conv = ConversationStore(store)
    tid = conv.create_thread("chat", {"files": ["a.py"], "n": 1})
    assert uuid.UUID(tid).version == 4
    meta, turns = store.thread_read(tid)
    assert meta is not None and turns == []
    assert (meta["thread_id"], meta["tool_name"], meta["parent_thread_id"]) == (tid, "chat", "")
    assert meta["created_at"] == meta["last_updated_at"]
    assert json.loads(meta["initial_context"]) == {"files": ["a.py"], "n": 1}
    assert 115 <= store.ttl(meta_key(tid)) <= 120
    child = conv.create_thread("debug", parent_thread_id=tid, thread_id="child")
    assert child == "child"
    assert conv.get_thread("child").parent_thread_id == tid  # type: ignore[union-attr]
    assert conv.get_thread(tid).parent_thread_id is None  # type: ignore[union-attr]


def test_add_turn_stores_the_canonical_text_and_stamps_the_thread(store: MemoryStore) -> None:
    conv = ConversationStore(store)
    tid = conv.create_thread("chat")
    assert conv.add_turn(tid, "user", "héllo", files=["x.py"], model_metadata={"k": [1]})
    meta, (stored,) = store.thread_read(tid)
    turn = ConversationTurn.model_validate_json(stored)
    assert stored == canonical_turn(turn.model_dump(mode="json"))
    assert (turn.role, turn.content, turn.files, turn.model_metadata) == (
        "user",
        "héllo",
        ["x.py"],
        {"k": [1]},
    )
    assert meta is not None and meta["last_updated_at"] == turn.timestamp
    assert 115 <= store.ttl(turns_key(tid)) <= 120


def test_add_turn_is_false_when_the_thread_is_missing_or_full(store: MemoryStore) -> None:
    conv = ConversationStore(store)
    assert conv.add_turn("no-such-thread", "user", "x") is False
    tid = conv.create_thread("chat")
    assert [conv.add_turn(tid, "user", str(i)) for i in range(3)] == [True, True, False]
    got = conv.get_thread(tid)
    assert got is not None and [t.content for t in got.turns] == ["0", "1"]


def test_get_thread_rebuilds_the_context(store: MemoryStore) -> None:
    conv = ConversationStore(store)
    assert conv.get_thread("missing") is None
    tid = conv.create_thread("review", {"a": {"b": [1, 2]}})
    conv.add_turn(tid, "assistant", "done", model_name="m", model_provider="p")
    got = conv.get_thread(tid)
    assert got is not None
    assert (got.thread_id, got.tool_name, got.initial_context) == (
        tid,
        "review",
        {"a": {"b": [1, 2]}},
    )
    (turn,) = got.turns
    assert (turn.role, turn.content, turn.model_name, turn.model_provider) == (
        "assistant",
        "done",
        "m",
        "p",
    )


@pytest.mark.parametrize(
    ("meta", "turns"),
    [
        ({"initial_context": "{not json"}, []),
        ({}, ['{"role": "user"}']),  # a turn without content
        ({}, ["not json"]),
    ],
)
def test_a_malformed_thread_names_itself_and_the_store(
    store: MemoryStore, meta: dict[str, str], turns: list[str]
) -> None:
    full = {
        "thread_id": "bad",
        "tool_name": "chat",
        "created_at": "c",
        "last_updated_at": "u",
        **meta,
    }
    store.thread_merge("bad", full, turns, 100, 10)
    with pytest.raises(ZenConfigError) as e:
        ConversationStore(store).get_thread("bad")
    assert e.value.message.startswith("thread bad is malformed: ")
    assert e.value.where == "mem-test"


def test_list_and_delete(store: MemoryStore) -> None:
    conv = ConversationStore(store)
    first = conv.create_thread("chat")
    time.sleep(0.01)  # the index orders by the time of the last write
    second = conv.create_thread("debug")
    time.sleep(0.01)
    store.thread_create("odd", {"tool_name": "chat"}, 100)
    listed = conv.list_threads(limit=10)
    assert [s.thread_id for s in listed] == ["odd", second, first]
    assert listed[0].problem == "meta lacks created_at, last_updated_at"
    assert listed[1].problem is None and listed[1].updated is not None
    assert [s.thread_id for s in conv.list_threads(tool="debug")] == [second]
    assert [s.thread_id for s in conv.list_threads(limit=1)] == ["odd"]
    assert conv.delete_thread(second) is True
    assert conv.delete_thread(second) is False
    assert conv.get_thread(second) is None


@pytest.mark.parametrize("bad", ["a b", "x\x1b]0;t\x07", "x" * 257, "\u200b"])
def test_a_chosen_thread_id_follows_the_importers_rule(store: MemoryStore, bad: str) -> None:
    """What create_thread takes, export writes and import takes back."""
    from zenconfig.errors import ExitCode, UsageError

    with pytest.raises(UsageError) as caught:
        ConversationStore(store).create_thread("chat", thread_id=bad)
    assert caught.value.exit_code == ExitCode.USAGE
    assert caught.value.message.startswith("thread id '")
    assert "\x1b" not in caught.value.message
    assert ConversationStore(store).create_thread("chat", thread_id="ok-é-{1}") == "ok-é-{1}"
