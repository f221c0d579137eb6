"""One export line: what is accepted, what is refused and why, and the line export writes."""

from __future__ import annotations

import json

import pytest

from zenconfig.storage.base import ThreadRecord
from zenconfig.transfer import lines

STAMP = "2026-01-01T00:00:00+00:00"
META = {"tool_name": "chat", "created_at": STAMP, "last_updated_at": STAMP}


def good(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "thread_id": "t1",
        "ttl": 60,
        "meta": dict(META),
        "turns": [{"role": "user", "content": "hi"}],
    }
    item.update(changes)
    return item


def encode(item: object) -> bytes:
    return json.dumps(item).encode()


def test_a_good_line() -> None:
    record = lines.parse(encode(good(ttl=None)))
    assert record == ThreadRecord("t1", META, ['{"role":"user","content":"hi"}'], None)


@pytest.mark.parametrize(
    ("item", "why"),
    [
        (good(ttl=-1), "ttl must be a positive whole number of seconds or null, not -1"),
        (good(ttl=0), "ttl must be a positive whole number of seconds or null, not 0"),
        (good(ttl="0"), "ttl must be a positive whole number of seconds or null, not the string"),
        (good(ttl=True), "ttl must be a positive whole number of seconds or null, not true"),
        (good(ttl=60.5), "ttl must be a positive whole number of seconds or null, not 60.5"),
        (good(ttl=10**12), "ttl 1000000000000 is more than ten years"),
        ({k: v for k, v in good().items() if k != "ttl"}, "ttl is missing"),
        (good(thread_id=""), "thread_id must be a non-empty string, not the string"),
        (good(thread_id=7), "thread_id must be a non-empty string, not 7"),
        (good(thread_id="a b"), "thread_id 'a b' holds"),
        (good(thread_id="x\x1b[2J"), "thread_id 'x\\x1b[2J' holds \\x1b"),
        (good(thread_id="x" * 300), "thread_id is longer than 256 characters"),
        (good(thread_id="\ud800x"), "thread_id '\\ud800x' holds \\ud800"),
        (good(meta=[]), "meta must be an object, not a list"),
        (good(meta={**META, "n": 5}), "meta.n must be a string, not 5"),
        (good(meta={"tool_name": "chat", "last_updated_at": STAMP}), "meta lacks created_at"),
        (good(meta={}), "meta lacks tool_name, created_at, last_updated_at"),
        (good(meta={**META, "last_updated_at": ""}), "meta lacks last_updated_at"),
        (good(meta={**META, "thread_id": "other"}), "meta.thread_id 'other' is not the line's"),
        (good(meta={**META, "x": "\ud800"}), "meta.x holds a lone surrogate (\\ud800)"),
        (good(turns={}), "turns must be a list, not an object"),
        (good(turns=["hi"]), "turns[0] must be an object, not the string 'hi'"),
        (good(turns=[{"role": "user"}]), "turns[0].content must be a string, not null"),
        (good(extra=1), "unknown field 'extra'"),
        ([1, 2], "not an export line: a list, not an object"),
    ],
)
def test_a_bad_line_says_why(item: object, why: str) -> None:
    with pytest.raises(lines.LineError) as caught:
        lines.parse(encode(item))
    assert why in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"not json", "not JSON: Expecting value at column 1"),
        (b'{"thread_id": NaN}', "not JSON: NaN is not a JSON number"),
        (b"\xff\xfe{}", "not UTF-8 text (byte 1)"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON: nested too deeply"),
        (b'{"ttl": ' + b"9" * 5000 + b"}", "not JSON: "),
    ],
)
def test_bytes_that_are_not_a_line(raw: bytes, why: str) -> None:
    with pytest.raises(lines.LineError) as caught:
        lines.parse(raw)
    assert why in str(caught.value)
    assert len(str(caught.value)) < 200  # never the line itself


def test_a_line_past_the_cap_is_refused_unparsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines, "MAX_LINE_BYTES", 1024)
    with pytest.raises(lines.LineError, match="longer than"):
        lines.parse(encode(good(turns=[{"role": "user", "content": "x" * 2000}])))


def test_turns_are_stored_compact_and_non_ascii_kept() -> None:
    record = lines.parse(encode(good(turns=[{"role": "user", "content": "проект ✓"}])))
    assert record.turns == ['{"role":"user","content":"проект ✓"}']


def test_export_line_round_trips() -> None:
    record = ThreadRecord("t1", META, ['{"role":"user","content":"hi ✓"}'], 42)
    raw = lines.line(record)
    assert raw.endswith(b"\n") and raw.count(b"\n") == 1
    assert lines.parse(raw.rstrip(b"\n")) == record


def test_export_line_of_odd_stored_turns() -> None:
    """Turns as stored by others: spanning lines, not JSON, split-looking: nothing lost."""
    spanning = '{\n"role": "user", "content": "a"}'
    split = ['{"x":1},{"y":"', '"}']  # joined naively they would read as two other objects
    raw = lines.line(ThreadRecord("t", META, [spanning, "not json", *split], None))
    assert raw.count(b"\n") == 1
    data = json.loads(raw)
    assert data["turns"] == [{"role": "user", "content": "a"}, "not json", *split]
    with pytest.raises(lines.LineError, match=r"turns\[1\] must be an object"):
        lines.parse(raw.rstrip(b"\n"))


def test_export_line_of_bytes_that_are_not_utf8() -> None:
    """A Redis value holding non-UTF-8 bytes (decoded with surrogateescape) stays exact."""
    record = ThreadRecord("t", {**META, "note": "a\udcffb"}, ['{"role":"u","content":"\udcfe"}'], 5)
    raw = lines.line(record)
    raw.decode("ascii")
    data = json.loads(raw)
    assert data["meta"]["note"] == "a\udcffb" and data["turns"][0]["content"] == "\udcfe"


def test_meta_bytes_that_are_not_utf8_are_kept_for_redis() -> None:
    """U+DC80..U+DCFF: how export writes bytes that are not UTF-8 (surrogateescape)."""
    record = lines.parse(encode(good(meta={**META, "x": "caf\udce9"})))
    assert record.meta["x"] == "caf\udce9"
    assert lines.raw_bytes(record) == "meta.x holds bytes that are not UTF-8 (\\xe9)"
    assert lines.raw_bytes(lines.parse(encode(good()))) is None
