"""The backup of a migrated file, and the dry-run's view of it: no password left.

The original text is kept, byte for byte, except that each password value
(found by parsing: ``spans``) is replaced by a note saying where it went (or
by ``********`` for ``--dry-run``). The result is verified by parsing it
again: the same document with every password replaced, and no password
in the text in any spelling (raw, escaped, or as it was written). When that
cannot be verified (a password also in a comment, say), the backup is written
from the parsed document instead (comments and layout are lost); when even
that would keep a password, the migration is refused (exit 3).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from . import spans

MASK = "********"
DROPPED = "removed by zen config migrate"
MIN_SEARCHED = 6  # shorter passwords are checked by value only: as text they match anything
Secrets = dict[str, str]


@dataclass(frozen=True)
class Scrubbed:
    text: str  # the backup (notes) or the dry-run view (masks)
    rewritten: bool  # True: written from the parsed document, not the original text


def _forms(secret: str) -> set[str]:
    """How a password can be spelled in a JSON, TOML or .env file."""
    found = {secret, *secret.splitlines()}
    for ascii_only in (False, True):
        escaped = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        found |= {escaped, escaped.replace("/", "\\/")}
    return {f for f in found if len(f) >= MIN_SEARCHED}


def leaks(text: str, secrets: set[str], written: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
    """Does ``text`` still hold a password, in any spelling (or as ``written``)?"""
    needles = set().union(*(_forms(s) for s in secrets)) if secrets else set()
    needles |= {w for w in written if len(w) >= MIN_SEARCHED}
    return any(needle in text for needle in needles)


def _is_password(keys: tuple[Any, ...]) -> bool:
    return bool(keys) and keys[-1] == "password"


def _replace(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def password_values(node: Any, keys: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """Every string under a key named ``password``, anywhere in a parsed document."""
    found: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "password" and isinstance(value, str):
                found.append(((*keys, key), value))
            else:
                found += password_values(value, (*keys, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += password_values(value, (*keys, i))
    return found


def _replaced(node: Any, notes: dict[tuple[Any, ...], str], keys: tuple[Any, ...] = ()) -> Any:
    """``node`` with every password string replaced by its note (``DROPPED`` if none)."""
    if isinstance(node, dict):
        return {
            k: (
                notes.get((*keys, k), DROPPED)
                if k == "password" and isinstance(v, str)
                else _replaced(v, notes, (*keys, k))
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_replaced(v, notes, (*keys, i)) for i, v in enumerate(node)]
    return node


def _notes_of(
    document: dict[str, Any], taken: Secrets, note: Any, mask: bool
) -> dict[tuple[Any, ...], str]:
    """The replacement of each password of ``document``, by key path."""
    notes = {}
    for keys, value in password_values(document):
        project = (
            keys[-2] if len(keys) == 5 and keys[:3] == ("storage", "redis", "connections") else None
        )
        if mask:
            notes[keys] = MASK
        elif project in taken and taken[project] == value:
            notes[keys] = note(project)
        else:
            notes[keys] = DROPPED
    return notes


def _in_place_json(
    text: str, document: dict[str, Any], notes: dict[tuple[Any, ...], str], mask: bool
) -> tuple[str, set[str]]:
    in_use = dict(password_values(document))  # duplicate keys: the last one is in use
    edits, written = [], set()
    for span in spans.json_values(text):
        if _is_password(span.keys) and isinstance(span.value, str):
            if mask:
                replacement = MASK
            elif in_use.get(span.keys) == span.value:
                replacement = notes.get(span.keys, DROPPED)
            else:
                replacement = DROPPED
            edits.append((span.start, span.end, json.dumps(replacement, ensure_ascii=False)))
            written.add(text[span.start + 1 : span.end - 1])
    return _replace(text, edits), written


def _in_place_toml(
    text: str, document: dict[str, Any], notes: dict[tuple[Any, ...], str]
) -> tuple[str, set[str]]:
    by_value: dict[str, list[str]] = {}
    for keys, value in password_values(document):
        by_value.setdefault(value, []).append(notes[keys])
    edits, written = [], set()
    for span in spans.toml_strings(text):
        if isinstance(span.value, str) and span.value in by_value:
            queue = by_value[span.value]
            replacement = queue.pop(0) if len(queue) > 1 else queue[0]
            edits.append((span.start, span.end, json.dumps(replacement, ensure_ascii=False)))
            written.add(text[span.start : span.end])
    return _replace(text, edits), written


def _parse(text: str, toml: bool) -> Any:
    import tomllib

    return tomllib.loads(text) if toml else json.loads(text, object_pairs_hook=_pairs)


def _pairs(items: list[tuple[str, Any]]) -> Any:
    """JSON objects as dicts, but duplicate keys keep every value (as a list of pairs)."""
    keys = [k for k, _ in items]
    return dict(items) if len(set(keys)) == len(keys) else {"\0pairs": items}


def _canonical(node: Any) -> Any:
    """``node`` with every password value blanked, duplicates kept (for comparison)."""
    if isinstance(node, dict):
        if "\0pairs" in node:
            return [
                (k, None if k == "password" and isinstance(v, str) else _canonical(v))
                for k, v in node["\0pairs"]
            ]
        return {
            k: None if k == "password" and isinstance(v, str) else _canonical(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_canonical(v) for v in node]
    return node


def _same_but_passwords(before: Any, after: Any) -> bool:
    return _canonical(before) == _canonical(after)


def _only_notes(document: Any, allowed: set[str]) -> bool:
    if isinstance(document, dict):
        pairs = document["\0pairs"] if "\0pairs" in document else list(document.items())
        return all(
            (v in allowed) if k == "password" and isinstance(v, str) else _only_notes(v, allowed)
            for k, v in pairs
        )
    if isinstance(document, list):
        return all(_only_notes(v, allowed) for v in document)
    return True


def document(
    text: str, document: dict[str, Any], taken: Secrets, note: Any, *, toml: bool, mask: bool
) -> Scrubbed:
    """The backup (``mask=False``) or dry-run view (``mask=True``) of a JSON or TOML file."""
    original = _parse(text, toml)
    notes = _notes_of(document, taken, note, mask)
    secrets = {v for _, v in password_values(document)} | set(taken.values())
    if not toml:
        secrets |= {v for _, v in _all_json_passwords(text)}
    allowed = set(notes.values()) | {DROPPED, MASK}
    try:
        if toml:
            candidate, written = _in_place_toml(text, document, notes)
        else:
            candidate, written = _in_place_json(text, document, notes, mask)
        reparsed = _parse(candidate, toml)
        if (
            _same_but_passwords(original, reparsed)
            and _only_notes(reparsed, allowed)
            and not leaks(candidate, secrets, written)
            and not _holds_secret(reparsed, secrets)  # by value: short ones too
        ):
            return Scrubbed(candidate, rewritten=False)
    except ValueError:
        pass
    return Scrubbed(_from_document(document, notes, secrets, toml), rewritten=True)


def _all_json_passwords(text: str) -> list[tuple[tuple[Any, ...], str]]:
    try:
        found = spans.json_values(text)
    except ValueError:
        return []
    return [(s.keys, s.value) for s in found if _is_password(s.keys) and isinstance(s.value, str)]


def _from_document(
    document: dict[str, Any], notes: dict[tuple[Any, ...], str], secrets: set[str], toml: bool
) -> str:
    replaced = _replaced(copy.deepcopy(document), notes)
    if toml:
        import tomli_w

        text = tomli_w.dumps(replaced)
    else:
        text = json.dumps(replaced, indent=2, ensure_ascii=False) + "\n"
    if _holds_secret(replaced, secrets):
        raise ConfigError(
            "a password of this file also appears elsewhere in it; nothing was changed",
            hint="remove it from the other places (or change it), then run zen config migrate",
        )
    return text


def _holds_secret(node: Any, secrets: set[str]) -> bool:
    if isinstance(node, dict):
        return any(_holds_secret(k, secrets) or _holds_secret(v, secrets) for k, v in node.items())
    if isinstance(node, (list, tuple)):
        return any(_holds_secret(v, secrets) for v in node)
    if isinstance(node, str):
        return node in secrets or any(len(s) >= MIN_SEARCHED and s in node for s in secrets)
    return False
