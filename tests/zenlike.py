"""A stand-in for zen's conversation memory, written for these tests.

It drives ``get_storage_backend()`` the way each zen generation does: the
thread is one document under ``thread:<uuid>``; a turn is added by reading the
document, appending in Python and writing the whole document back (no lock).
``mcp`` writes compact JSON text with ``setex`` (pydantic's
``model_dump_json``), ``cli`` writes the dict with ``set(key, dict, ttl=…)``.

Run as a process: ``python -m tests.zenlike GENERATION THREAD_ID N`` appends N
turns and prints how many add_turn calls reported success.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

TIMEOUT_SECONDS = 10800
MAX_TURNS = int(os.environ.get("MAX_CONVERSATION_TURNS", "50"))  # as zen reads it


class Turn(BaseModel):
    role: str
    content: str
    timestamp: str
    files: list[str] | None = None
    images: list[str] | None = None
    tool_name: str | None = None
    model_provider: str | None = None
    model_name: str | None = None
    model_metadata: dict[str, Any] | None = None


class Thread(BaseModel):
    thread_id: str
    parent_thread_id: str | None = None
    created_at: str
    last_updated_at: str
    tool_name: str
    turns: list[Turn]
    initial_context: dict[str, Any]


def now() -> str:
    return datetime.now(UTC).isoformat()


def write(backend: Any, generation: str, thread: Thread) -> None:
    key = f"thread:{thread.thread_id}"
    if generation == "mcp":
        backend.setex(key, TIMEOUT_SECONDS, thread.model_dump_json())
    else:
        backend.set(key, thread.model_dump(), ttl=TIMEOUT_SECONDS)


def read(backend: Any, generation: str, thread_id: str) -> Thread | None:
    data = backend.get(f"thread:{thread_id}")
    if not data:
        return None
    if generation == "mcp":
        return Thread.model_validate_json(data)
    return Thread.model_validate(data)


def create_thread(
    backend: Any, generation: str, tool: str = "chat", context: dict[str, Any] | None = None
) -> str:
    stamp = now()
    thread = Thread(
        thread_id=str(uuid.uuid4()),
        created_at=stamp,
        last_updated_at=stamp,
        tool_name=tool,
        turns=[],
        initial_context=context or {"prompt": "hi"},
    )
    write(backend, generation, thread)
    return thread.thread_id


def add_turn(backend: Any, generation: str, thread_id: str, role: str, content: str) -> bool:
    thread = read(backend, generation, thread_id)
    if thread is None or len(thread.turns) >= MAX_TURNS:
        return False
    thread.turns.append(
        Turn(role=role, content=content, timestamp=now(), files=[], images=[], tool_name="chat")
    )
    thread.last_updated_at = now()
    try:  # as zen does: a failed write is a False add_turn
        write(backend, generation, thread)
    except Exception:
        return False
    return True


if __name__ == "__main__":
    from zenconfig import get_storage_backend

    generation, thread_id, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    backend = get_storage_backend()
    done = sum(
        add_turn(backend, generation, thread_id, "user", f"turn {i} of {uuid.uuid4().hex[:8]}")
        for i in range(count)
    )
    print(json.dumps({"acknowledged": done}))
