"""One turn as stored: the text every writer produces for the same turn.

zen's own code and zenconfig's ``ConversationStore`` both append turns, and
``thread_merge`` tells a new turn from a stored one by its exact text, so
every writer must spell a turn the same way: zen's fields in zen's order
(absent ones null), then any others in the order given, compact JSON, UTF-8
kept. No pydantic here: zen's backend path runs on every turn.
"""

from __future__ import annotations

import json
from typing import Any

TURN_FIELDS = (
    "role",
    "content",
    "timestamp",
    "files",
    "images",
    "tool_name",
    "model_provider",
    "model_name",
    "model_metadata",
)


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def compact(value: Any) -> str:
    return _ENCODER.encode(value)


def canonical_turn(turn: dict[str, Any]) -> str:
    """The stored text of a turn document."""
    if tuple(turn) == TURN_FIELDS:  # zen's own turns: already in order, every field there
        return _ENCODER.encode(turn)
    ordered = {name: turn.get(name) for name in TURN_FIELDS}
    ordered.update((k, v) for k, v in turn.items() if k not in ordered)
    return _ENCODER.encode(ordered)
