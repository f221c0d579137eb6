"""One line of an export file: read it, check it, make it a ``ThreadRecord``.

The format (``zen storage export`` writes it, ``import`` reads it) is JSON
Lines, one thread per line, UTF-8::

    {"thread_id": "…", "ttl": 3600, "meta": {…}, "turns": [{…}, …]}

A line is accepted only when all of it holds, so that a thread is imported
whole or not at all and nothing silently changes on the way:

- ``thread_id``: a non-empty string of at most ``MAX_ID`` characters, with no
  control, format or space characters (``storage.base.id_problem``, the rule
  ``create_thread`` applies too); ``meta.thread_id``, when given, is the same;
- ``ttl``: the seconds left, a positive whole number (at most ten years), or
  null for no expiry; -1, 0, "60", 60.5 and true are refused, and so is a line
  without it;
- ``meta``: an object of strings with non-empty ``tool_name``, ``created_at``
  and ``last_updated_at`` (the index places the thread by the last when it is
  an ISO 8601 time, else at the time of the import);
- ``turns``: a list of objects, each with a string ``role`` and ``content``;
  each is stored as compact JSON text.

Lines are bytes until checked: at most ``MAX_LINE_BYTES`` (a longer line is
refused unread), strict UTF-8, JSON without NaN or Infinity. Reasons name the
field and never repeat more than a few escaped characters of the line.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any

from ..durations import MAX_SECONDS
from ..storage.base import MAX_ID, ThreadRecord, id_problem
from ..text import printable

MAX_LINE_BYTES = 16 * 1024 * 1024
MAX_TOOL = 256
FIELDS = ("thread_id", "ttl", "meta", "turns")
TIMES = ("created_at", "last_updated_at")


class LineError(ValueError):
    """Why a line is not an export line (shown with the file and line number)."""


def _constant(name: str) -> Any:
    raise LineError(f"not JSON: {name} is not a JSON number")


# one decoder and encoders for every line (json.loads/dumps with options make one a call)
_JSON = json.JSONDecoder(parse_constant=_constant)
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ESCAPED = json.JSONEncoder(separators=(",", ":"))


def _sane_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise LineError(f"{what} must be a non-empty string, not {_kind(value)}")
    problem = id_problem(value)
    if problem is not None:
        shown = "" if len(value) > MAX_ID else f" '{printable(value, 60)}'"
        raise LineError(f"{what}{shown} {problem}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string '{printable(value, 30)}'"
    if isinstance(value, int | float):
        return printable(repr(value), 30)
    if isinstance(value, dict):
        return "an object"
    return "a list" if isinstance(value, list) else type(value).__name__


def _text(value: str, what: Any, raw: bool = False) -> None:
    """Text a store can hold: no lone surrogates (``\\ud800`` escapes), except, where
    ``raw``, those that stand for bytes that are not UTF-8 (U+DC80..U+DCFF, as export
    writes a Redis value holding such bytes; see ``raw_bytes``). ``what()`` names it."""
    try:
        value.encode("utf-8", "surrogateescape" if raw else "strict")
    except UnicodeEncodeError as e:
        raise LineError(f"{what()} holds a lone surrogate (\\u{ord(value[e.start]):04x})") from e


def raw_bytes(record: ThreadRecord) -> str | None:
    """Which meta field holds bytes that are not UTF-8 (a store of text refuses it)."""
    for key, value in record.meta.items():
        for text in (key, value):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as e:
                byte = ord(text[e.start]) - 0xDC00
                return f"meta.{printable(key, 40)} holds bytes that are not UTF-8 (\\x{byte:02x})"
    return None


def _ttl(item: dict[str, Any]) -> int | None:
    if "ttl" not in item:
        raise LineError("ttl is missing (seconds left, or null for no expiry)")
    ttl = item["ttl"]
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
        raise LineError(f"ttl must be a positive whole number of seconds or null, not {_kind(ttl)}")
    if ttl > MAX_SECONDS:
        raise LineError(f"ttl {ttl} is more than ten years")
    return ttl


def _meta(value: Any, thread_id: str, escapes: bool) -> dict[str, str]:
    if not isinstance(value, dict):
        raise LineError(f"meta must be an object, not {_kind(value)}")
    for key, field in value.items():
        if not key:
            raise LineError("meta has an empty field name")
        if not isinstance(field, str):
            raise LineError(f"meta.{printable(key, 40)} must be a string, not {_kind(field)}")
        if escapes:  # only a \\u escape makes a lone surrogate
            _text(key, lambda: "a meta field name", raw=True)
            _text(field, lambda k=key: f"meta.{printable(k, 40)}", raw=True)
    lacking = [name for name in ("tool_name", *TIMES) if not value.get(name)]
    if lacking:
        raise LineError("meta lacks " + ", ".join(lacking))
    tool = value["tool_name"]
    if len(tool) > MAX_TOOL:  # any text else, as the stores take it (shown escaped)
        raise LineError(f"meta.tool_name is longer than {MAX_TOOL} characters")
    if value.get("thread_id", thread_id) != thread_id:
        raise LineError(
            f"meta.thread_id '{printable(value['thread_id'], 60)}' is not the line's thread_id"
        )
    return dict(value)


def _turn(turn: Any, n: int, escapes: bool) -> str:
    if not isinstance(turn, dict):
        raise LineError(f"turns[{n}] must be an object, not {_kind(turn)}")
    for name in ("role", "content"):
        if not isinstance(turn.get(name), str):
            raise LineError(f"turns[{n}].{name} must be a string, not {_kind(turn.get(name))}")
    body = _COMPACT.encode(turn)
    if escapes:
        try:
            body.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: keep it escaped, as it came
            body = _ESCAPED.encode(turn)
    return body


def parse(raw: bytes) -> ThreadRecord:
    """The record on one line (without its newline); ``LineError`` says why not."""
    if len(raw) > MAX_LINE_BYTES:
        raise LineError(f"longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LineError(f"not UTF-8 text (byte {e.start + 1})") from None
    try:
        item = _JSON.decode(text)
    except LineError:
        raise
    except RecursionError:
        raise LineError("not JSON: nested too deeply") from None
    except ValueError as e:  # JSONDecodeError, or an integer of thousands of digits
        where = f" at column {e.colno}" if isinstance(e, json.JSONDecodeError) else ""
        reason = e.msg.removesuffix(" at") if isinstance(e, json.JSONDecodeError) else str(e)
        raise LineError(f"not JSON: {printable(reason, 80)}{where}") from None
    if not isinstance(item, dict):
        raise LineError(f"not an export line: {_kind(item)}, not an object")
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        raise LineError(f"unknown field '{printable(unknown[0], 40)}'")
    escapes = b"\\u" in raw  # else no string of the line can hold a lone surrogate
    thread_id = _sane_id(item.get("thread_id"), "thread_id")
    ttl = _ttl(item)
    meta = _meta(item.get("meta"), thread_id, escapes)
    turns = item.get("turns")
    if not isinstance(turns, list):
        raise LineError(f"turns must be a list, not {_kind(turns)}")
    return ThreadRecord(thread_id, meta, [_turn(t, n, escapes) for n, t in enumerate(turns)], ttl)


def line(record: ThreadRecord) -> bytes:
    """The export line of a stored thread (with its newline).

    Stored turns are JSON texts; they go into the line as they are when each
    parses as an object and none spans lines, else each is re-encoded
    (a turn that is not JSON becomes a string, so nothing is lost and the
    import refuses that line by number)."""
    quote = encode_basestring  # meta is text to text: its JSON, written directly
    meta = "{" + ",".join([quote(k) + ":" + quote(v) for k, v in record.meta.items()]) + "}"
    head = quote(record.thread_id)
    ttl = "null" if record.ttl is None else str(int(record.ttl))
    turns = "[" + ",".join(record.turns) + "]"
    if "\n" in turns or "\r" in turns or not all(map(_object, record.turns)):
        turns = _COMPACT.encode([_loaded(t) for t in record.turns])
    text = f'{{"thread_id":{head},"ttl":{ttl},"meta":{meta},"turns":{turns}}}\n'
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 in the store: escaped, exact
        data = {
            "thread_id": record.thread_id,
            "ttl": record.ttl,
            "meta": record.meta,
            "turns": [_loaded(t) for t in record.turns],
        }
        return (_ESCAPED.encode(data) + "\n").encode("ascii")


def _object(turn: str) -> bool:
    """Whether ``turn`` is one JSON object and nothing else (no leading space either)."""
    try:
        found, end = _JSON.raw_decode(turn)
    except (ValueError, RecursionError):
        return False
    return isinstance(found, dict) and end == len(turn)


def _loaded(turn: str) -> Any:
    try:
        found = _JSON.decode(turn)
    except (ValueError, RecursionError):
        return turn
    return found if isinstance(found, dict) else turn
