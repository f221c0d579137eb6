"""Conversation threads, compatible with zen's conversation memory.

``ThreadContext`` and ``ConversationTurn`` have the field names of zen's own
models. A turn is appended in one atomic server-side step (Lua on Redis, a
lock in memory) that also refreshes both TTLs and refuses past ``max_turns``:
no read-modify-write of a JSON blob, so concurrent writers lose nothing.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from ..errors import ThreadExistsError, UsageError, ZenConfigError
from ..text import printable
from .base import THREAD_FULL, THREAD_MISSING, Store, id_problem
from .turns import canonical_turn


def now() -> str:
    return datetime.now(UTC).isoformat()


class ConversationTurn(BaseModel):
    role: str = Field(description="'user' or 'assistant'")
    content: str
    timestamp: str = Field(default_factory=now)
    files: list[str] | None = None
    images: list[str] | None = None
    tool_name: str | None = None
    model_provider: str | None = None
    model_name: str | None = None
    model_metadata: dict[str, Any] | None = None


class ThreadContext(BaseModel):
    thread_id: str
    parent_thread_id: str | None = None
    created_at: str
    last_updated_at: str
    tool_name: str
    turns: list[ConversationTurn] = Field(default_factory=list)
    initial_context: dict[str, Any] = Field(default_factory=dict)


class ThreadSummary(BaseModel):
    thread_id: str
    tool_name: str
    created_at: str
    last_updated_at: str
    turns: int
    ttl: int
    problem: str | None = None  # why a stored thread is malformed
    updated: float | None = None  # the index's time of the last update (epoch seconds)


class ConversationStore:
    def __init__(self, storage: Store) -> None:
        self.storage = storage

    def create_thread(
        self,
        tool_name: str,
        initial_context: dict[str, Any] | None = None,
        parent_thread_id: str | None = None,
        thread_id: str | None = None,
    ) -> str:
        if thread_id is None:
            thread_id = str(uuid.uuid4())
        elif (problem := id_problem(thread_id)) is not None:  # the importer's rule too
            raise UsageError(f"thread id '{printable(thread_id, 60)}' {problem}")
        stamp = now()
        meta = {
            "thread_id": thread_id,
            "parent_thread_id": parent_thread_id or "",
            "created_at": stamp,
            "last_updated_at": stamp,
            "tool_name": tool_name,
            "initial_context": json.dumps(initial_context or {}),
        }
        if not self.storage.thread_create(thread_id, meta, self.storage.default_ttl):
            raise ThreadExistsError(f"thread {thread_id} already exists", where=self.storage.name)
        return thread_id

    def add_turn(
        self,
        thread_id: str,
        role: str,
        content: str,
        *,
        files: list[str] | None = None,
        images: list[str] | None = None,
        tool_name: str | None = None,
        model_provider: str | None = None,
        model_name: str | None = None,
        model_metadata: dict[str, Any] | None = None,
    ) -> bool:
        """Append a turn; False when the thread does not exist (expired) or is full."""
        turn = ConversationTurn(
            role=role,
            content=content,
            files=files,
            images=images,
            tool_name=tool_name,
            model_provider=model_provider,
            model_name=model_name,
            model_metadata=model_metadata,
        )
        result = self.storage.thread_append(
            thread_id,
            canonical_turn(turn.model_dump(mode="json")),
            turn.timestamp,
            self.storage.default_ttl,
            self.storage.max_turns,
        )
        return result not in (THREAD_MISSING, THREAD_FULL)

    def get_thread(self, thread_id: str) -> ThreadContext | None:
        """The thread, None when it does not exist; a malformed one is a ``ZenConfigError``."""
        from pydantic import ValidationError

        meta, turns = self.storage.thread_read(thread_id)
        if meta is None:
            return None
        try:
            return ThreadContext(
                thread_id=meta["thread_id"],
                parent_thread_id=meta.get("parent_thread_id") or None,
                created_at=meta["created_at"],
                last_updated_at=meta["last_updated_at"],
                tool_name=meta["tool_name"],
                initial_context=json.loads(meta.get("initial_context") or "{}"),
                turns=[ConversationTurn.model_validate_json(t) for t in turns],
            )
        except (KeyError, ValueError, ValidationError) as e:
            raise ZenConfigError(
                f"thread {thread_id} is malformed: {e}", where=self.storage.name
            ) from e

    def list_threads(
        self, limit: int = 50, since: float | None = None, tool: str | None = None
    ) -> list[ThreadSummary]:
        """Newest first from the store's index (see ``Store.thread_list``)."""
        rows = self.storage.thread_list(limit, since, tool)
        return [ThreadSummary(**dataclasses.asdict(row)) for row in rows]

    def delete_thread(self, thread_id: str) -> bool:
        return self.storage.thread_delete(thread_id)
