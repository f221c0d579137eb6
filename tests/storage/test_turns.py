"""zenconfig.storage.turns: one text per turn, whoever writes it (zen's order, compact, UTF-8)."""

from __future__ import annotations

import json

from tests.zenlike import Turn
from zenconfig.storage.turns import TURN_FIELDS, canonical_turn, compact


def test_zen_models_and_canonical_turn_write_the_same_text() -> None:
    """zen writes a turn with pydantic's model_dump_json; merge compares texts exactly."""
    turn = Turn(
        role="assistant",
        content='héllo 🧵\n"quoted" \\ \x00',
        timestamp="2024-05-01T10:00:00+00:00",
        files=["/a b/c.py"],
        model_metadata={"z": 1, "a": [1.5, None, True]},
    )
    assert canonical_turn(turn.model_dump(mode="json")) == turn.model_dump_json()


def test_fields_in_zens_order_whatever_order_given_absent_ones_null() -> None:
    text = canonical_turn({"content": "hi", "role": "user"})
    assert text == canonical_turn({"role": "user", "content": "hi"})
    assert list(json.loads(text)) == list(TURN_FIELDS)
    assert text.startswith('{"role":"user","content":"hi","timestamp":null,"files":null,')


def test_other_fields_follow_in_the_order_given() -> None:
    text = canonical_turn({"zeta": 1, "role": "user", "alpha": {"b": 2, "a": 1}, "content": "x"})
    assert list(json.loads(text)) == [*TURN_FIELDS, "zeta", "alpha"]
    assert text.endswith('"model_metadata":null,"zeta":1,"alpha":{"b":2,"a":1}}')


def test_a_complete_turn_in_another_order_is_reordered() -> None:
    ordered = {name: f"v-{name}" for name in TURN_FIELDS}
    reversed_ = dict(reversed(ordered.items()))
    assert canonical_turn(reversed_) == canonical_turn(ordered)
    assert json.loads(canonical_turn(reversed_)) == ordered


def test_compact_keeps_utf8_and_escapes_what_json_must() -> None:
    text = compact({"k": "é🧵", "ctl": "\n\t\x1b", "n": [1, 2.5]})
    assert text == '{"k":"é🧵","ctl":"\\n\\t\\u001b","n":[1,2.5]}'
    assert json.loads(text) == {"k": "é🧵", "ctl": "\n\t\x1b", "n": [1, 2.5]}
