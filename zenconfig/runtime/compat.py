"""``get_storage_backend()`` as both generations of zen call it.

zen's MCP server works at the string level (``setex(key, ttl, text)``,
``set_with_ttl``, ``get(key) -> text``); zen-cli at the dict level
(``set(key, value, ttl=None)``, ``get(key) -> dict``, ``delete``, ``exists``,
``list_keys(pattern)``). Both keep a conversation as one document under
``thread:<uuid>`` and append a turn by reading it, appending in Python and
writing the whole document back.

Here such a document becomes a real thread (meta + turns, one hash slot), so
``zen storage`` sees it and the project's TTL and ``max_turns`` govern it, and
every write of it is a merge (``Store.thread_merge``): the turns already
stored stay, the turns the writer added are appended in one atomic step, the
metadata follows the writer. Two processes appending to one thread both keep
their turns. A writer cannot remove or rewrite a stored turn through ``set``:
a changed turn counts as a new one, and ``delete(key)`` removes the thread.
``get`` gives back the document in the form it was written (text or dict):
the same fields and values (for zen's own documents, the same bytes; a float
may come back spelled otherwise, ``1e-07`` for ``1e-7``).

Other keys (zen-cli's workflow sessions, ...) are stored as given under the
project's prefix with the caller's TTL; a dict comes back as a dict.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import WriteRefusedError
from ..storage.base import INDEX_EXPIRY, INDEX_UPDATED, After, Store, meta_key, thread_id_of
from ..storage.turns import TURN_FIELDS, canonical_turn, compact

THREAD_KEY = re.compile(r"thread:([0-9A-Za-z-]{1,128})\Z")
META = ("thread_id", "parent_thread_id", "created_at", "last_updated_at", "tool_name")
DOC_ORDER = (*META[:5], "turns", "initial_context")
# a plain value written as a dict (or a text that looks like one) is tagged
DICT_TAG = "\x1ezen-dict:"
TEXT_TAG = "\x1ezen-text:"
READ_KEPT = 1024  # threads whose last read a backend remembers (``ZenBackend._read``)
Read = tuple[list[str], str]  # the turns ``get`` gave (stored texts), and joined by ","


def _is_thread(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("turns"), list)
        and all(isinstance(t, dict) for t in value["turns"])
        and isinstance(value.get("thread_id"), str)
    )


class ZenBackend:
    """The object ``get_storage_backend()`` returns; other attributes are the store's."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # thread id -> the turns ``get`` gave: a write of a document that begins with
        # them sends only what follows (``_merge``)
        self._read: dict[str, Read] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    # -- the MCP server's string API ------------------------------------------

    def setex(self, key: str, ttl: int, value: str) -> None:
        self._write(key, value, ttl)

    def set_with_ttl(self, key: str, ttl: int, value: str) -> None:
        self._write(key, value, ttl)

    # -- zen-cli's dict API -------------------------------------------------------

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        self._write(key, value, ttl)

    def get(self, key: str) -> Any:
        match = THREAD_KEY.match(key)
        if match:
            document = self._thread(match.group(1))
            if document is not None:
                return document
        raw = self.store.get(key)
        if raw is None:
            return None
        if raw.startswith(DICT_TAG):
            return json.loads(raw[len(DICT_TAG) :])
        if raw.startswith(TEXT_TAG):
            return raw[len(TEXT_TAG) :]
        return self._untagged(key, raw, match.group(1) if match else None)

    def _untagged(self, key: str, raw: str, thread_id: str | None) -> Any:
        """A value written by zen before zenconfig (zen-cli's Redis store wrote
        ``json.dumps(dict)``, with ', ' and ': '; the MCP server compact JSON text).

        zen-cli's dicts come back as dicts, and a thread of either is moved
        into the thread layout on the way (merged, then the old key removed),
        so ``zen storage`` sees it from then on."""
        if not raw.startswith("{"):
            return raw
        try:
            document = json.loads(raw)
        except ValueError:
            return raw
        if not isinstance(document, dict):
            return raw
        form = "text" if compact(document) == raw else "dict"
        if thread_id is not None and _is_thread(document) and document["thread_id"] == thread_id:
            self._merge(thread_id, document, form)
            self.store.delete(key)
            return self._thread(thread_id)
        return raw if form == "text" else document

    def delete(self, key: str) -> bool:
        match = THREAD_KEY.match(key)
        if match and self.store.thread_delete(match.group(1)):
            return True
        return self.store.delete(key) > 0

    def exists(self, key: str) -> bool:
        match = THREAD_KEY.match(key)
        if match and self.store.exists(meta_key(match.group(1))):
            return True
        return self.store.exists(key)

    def list_keys(self, pattern: str = "*") -> list[str]:
        """zen's names of the stored keys (without the project prefix)."""
        from ..storage.keyglob import glob

        matches = glob(pattern).match
        names = []
        for key in self.store.scan("*"):
            if key.startswith("thread:{"):
                found = thread_id_of(key)
                if found is None:
                    continue  # the turns list, or another key of the thread layout
                key = f"thread:{found}"
            elif key in (INDEX_UPDATED, INDEX_EXPIRY) or key.startswith("index:{threads}"):
                continue  # the store's own thread index
            if matches(key):
                names.append(key)
        return sorted(set(names))

    # -- threads ------------------------------------------------------------------

    def _write(self, key: str, value: Any, ttl: int | None) -> None:
        match = THREAD_KEY.match(key)
        if match:
            thread_id = match.group(1)
            read = self._read.pop(thread_id, None)
            document, after_read = _thread_document(value, read)
            if document is not None and document["thread_id"] == thread_id:
                form = "text" if isinstance(value, str) else "dict"
                self._merge(thread_id, document, form, read if after_read else None)
                return
            if self.store.exists(meta_key(thread_id)):  # get would go on giving the thread
                raise WriteRefusedError(
                    f"{key} holds a thread, and the value written is not a document of it",
                    hint=f"delete {key} first to keep another value under its name",
                )
        # zen's own stores read a missing or zero TTL as their default (3 hours)
        expiry = int(ttl) if ttl and int(ttl) > 0 else self.store.default_ttl
        self.store.set(key, _encode(value), expiry)

    def _merge(
        self, thread_id: str, document: dict[str, Any], form: str, read: Read | None = None
    ) -> None:
        """Write a thread document as a merge. With ``read`` (the turns ``get`` gave),
        the document's turns are only those it has after them."""
        meta = {name: _meta_text(document.get(name)) for name in META}
        meta["thread_id"] = thread_id
        meta["initial_context"] = _context_text(document.get("initial_context"))
        meta["zen_head"] = compact({k: (None if k == "turns" else v) for k, v in document.items()})
        meta["zen_form"] = form
        ttl, max_turns = self.store.default_ttl, self.store.max_turns
        merged = None
        if read is not None:
            stored = read[0]
            written = [canonical_turn(t) for t in document["turns"]]
            merged = self.store.thread_merge(
                thread_id, meta, written, ttl, max_turns, _after(stored)
            )
            written = [*stored, *written]  # should the thread have changed since the read
        else:  # not read here: a turn zen's models re-spelled is matched to its stored text
            written = _as_stored(document["turns"], self.store.thread_read(thread_id)[1])
        if merged is None:  # the whole document
            merged = self.store.thread_merge(thread_id, meta, written, ttl, max_turns)
        assert merged is not None  # a whole document's merge always says what it did
        if merged.refused:  # zen catches this: its add_turn then reports False
            raise WriteRefusedError(
                f"thread {thread_id} is full: {merged.refused} turn(s) refused "
                f"(max_turns {self.store.max_turns})",
                hint="start a new thread, or raise the project's max_turns",
            )

    def _thread(self, thread_id: str) -> Any:
        meta, turns = self.store.thread_read(thread_id)
        if meta is None:
            return None
        joined = ",".join(turns)
        if len(self._read) >= READ_KEPT:
            self._read.clear()
        self._read[thread_id] = (turns, joined)  # for the write that follows this read
        if meta.get("zen_head"):  # as zen wrote it, but for what was changed since
            head: dict[str, Any] = json.loads(meta["zen_head"])
            for name in META:
                if _meta_text(head.get(name)) != meta.get(name, ""):
                    head[name] = meta.get(name) or None
            if _context_text(head.get("initial_context")) != meta.get("initial_context", "{}"):
                head["initial_context"] = json.loads(meta.get("initial_context") or "{}")
        else:  # a thread zen did not write
            head = dict.fromkeys(DOC_ORDER)
            head.update({name: meta.get(name) or None for name in META})
            head.update(thread_id=meta.get("thread_id", thread_id))
            head["initial_context"] = json.loads(meta.get("initial_context") or "{}")
        if meta.get("zen_form") == "dict":
            head["turns"] = [json.loads(t) for t in turns]
            return head
        head.setdefault("turns", None)
        return _document_text(head, joined)


def _document_text(head: dict[str, Any], joined: str) -> str:
    """A thread document as text: the head's fields as compact JSON, in their order, with
    the turns (``joined``: their stored texts joined by ",") put in as stored, text for
    text, so zen reads back its own bytes."""
    keys = list(head)
    at = keys.index("turns")
    parts = [f'"turns":[{joined}]']
    if at > 0:  # the fields before and after the turns, each encoded at once
        parts.insert(0, compact({k: head[k] for k in keys[:at]})[1:-1])
    if at < len(keys) - 1:
        parts.append(compact({k: head[k] for k in keys[at + 1 :]})[1:-1])
    return "{" + ",".join(parts) + "}"


def _meta_text(value: Any) -> str:
    """A document's head field as the thread's metadata (text): none for none, text as it
    is, any other value as its JSON (so a number or an object reads back as it was)."""
    if value is None or value == "":
        return ""
    return value if isinstance(value, str) else compact(value)


def _context_text(value: Any) -> str:
    """A document's ``initial_context`` as the thread's metadata: its JSON when a dict."""
    return compact(value) if isinstance(value, dict) else "{}"


def _after(turns: list[str]) -> After:
    """The turns a writer holds, as ``Store.thread_merge``'s ``after``."""
    return (len(turns), turns[0], turns[-1]) if turns else (0, "", "")


def _thread_document(value: Any, read: Read | None) -> tuple[dict[str, Any] | None, bool]:
    """A value written under a thread key, as a thread document (None: it is not one),
    and whether its turns are only those after the turns ``read`` (``get`` gave them,
    and the document begins with them: see ``_after_read`` and ``_same_turns``)."""
    if isinstance(value, str):
        if read is not None and (rest := _after_read(value, read[1])) is not None:
            document = _loads(rest)
            if _is_thread(document):
                return document, True
        document = _loads(value)
    else:
        document = value
    if not _is_thread(document):
        return None, False
    if read is not None:
        count, written = len(read[0]), document["turns"]
        if len(written) >= count and _same_turns(written[:count], read):
            return {**document, "turns": written[count:]}, True
    return document, False


def _same_turns(written: list[Any], read: Read) -> bool:
    """Whether turns written back are the ones read: the same texts, or, as zen's models
    write back what they read (zen's fields only, in zen's order, absent ones null), the
    same zen fields; such a turn is the stored one, however it was spelled when stored."""
    stored, joined = read
    if compact(written) == f"[{joined}]":
        return True
    found = [_loads(t) for t in stored]
    return all(
        isinstance(a, dict) and isinstance(b, dict) and _zen_fields(a) == _zen_fields(b)
        for a, b in zip(written, found, strict=True)
    )


def _zen_fields(turn: dict[str, Any]) -> str:
    """A turn's zen fields as JSON text: how turns are told apart (1 is not 1.0 or true)."""
    return compact([turn.get(name) for name in TURN_FIELDS])


def _as_stored(turns: list[Any], stored: list[str]) -> list[str]:
    """The texts of written turns: a stored turn's own text where the written turn has its
    zen fields (each stored turn used once), else the canonical text."""
    spelled: dict[str, list[str]] = {}
    for text in stored:
        found = _loads(text)
        if isinstance(found, dict):
            spelled.setdefault(_zen_fields(found), []).append(text)
    out = []
    for turn in turns:
        same = spelled.get(_zen_fields(turn))
        out.append(same.pop(0) if same else canonical_turn(turn))
    return out


def _after_read(text: str, joined: str) -> str | None:
    """The document ``text`` without the turns that were read (``joined``: their texts
    joined by ","), when it begins with them; None when that is not plain to see.

    Plain to see: the text has no ``\\u`` escape (so every key "turns" is spelled
    ``"turns"``) and holds ``"turns"`` once (so it is the document's own key, no other
    object has one, no string is "turns"), as ``"turns":[`` followed by exactly those
    texts and then "," or "]". Each text is one whole JSON value, so the array's
    first elements are those turns; what is left is the same document with only the
    turns after them."""
    if "\\u" in text or text.count('"turns"') != 1:
        return None
    at = text.find('"turns":[')
    if at < 0:
        return None
    start = at + len('"turns":[')
    if not joined:
        return text
    end = start + len(joined)
    if not text.startswith(joined, start) or end >= len(text):
        return None
    if text[end] == ",":
        return text[:start] + text[end + 1 :]
    return text[:start] + text[end:] if text[end] == "]" else None


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _encode(value: Any) -> str:
    """How a plain value is stored: a dict tagged, a text as it is, unless it could be
    taken for one zen wrote before zenconfig (a JSON object) or for a tag."""
    if isinstance(value, str):
        return TEXT_TAG + value if value.startswith(("\x1e", "{")) else value
    return DICT_TAG + compact(value)
