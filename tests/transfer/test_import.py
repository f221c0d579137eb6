"""``zen storage import`` against real redis-server processes: every line checked, each
thread whole or not at all, rejected lines named by number, an exit code that tells."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import servers
from tests.storage import faults
from zenconfig import open_storage
from zenconfig.errors import ExitCode
from zenconfig.storage.base import meta_key, turns_key
from zenconfig.transfer import jsonl, lines

STAMP = "2026-01-01T00:00:00+00:00"
META = {"tool_name": "chat", "created_at": STAMP, "last_updated_at": STAMP}


def line(tid: str, ttl: object = 600, turns: int = 2, **changes: object) -> str:
    item: dict[str, object] = {
        "thread_id": tid,
        "ttl": ttl,
        "meta": {**META, "thread_id": tid},
        "turns": [{"role": "user", "content": f"{tid} turn {n}"} for n in range(turns)],
    }
    item.update(changes)
    return json.dumps(item)


@pytest.fixture
def project(write_config, redis_server: servers.Server, unique_prefix: str) -> servers.Server:
    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p")
    return redis_server


def stored(tid: str) -> tuple[dict[str, str] | None, list[str]]:
    return open_storage().thread_read(tid)


CASES = [
    ("ttl -1", line("bad", ttl=-1), "ttl must be a positive whole number of seconds or null"),
    ('ttl "0"', line("bad", ttl="0"), "not the string '0'"),
    ("ttl true", line("bad", ttl=True), "ttl must be a positive whole number of seconds or null"),
    ("ttl missing", json.dumps({"thread_id": "bad", "meta": META, "turns": []}), "ttl is missing"),
    ("no created_at", line("bad", meta={"tool_name": "c", "last_updated_at": STAMP}), "meta lacks"),
    ("meta not strings", line("bad", meta={**META, "n": 1}), "meta.n must be a string, not 1"),
    ("a bad turn", line("bad", turns=0)[:-3] + '["oops"]}', "turns[0] must be an object"),
    ("turn without content", line("bad", turns=0)[:-3] + '[{"role": "user"}]}', "turns[0].content"),
    ("empty id", line(""), "thread_id must be a non-empty string"),
    ("id with a space", line("a b"), "thread_id 'a b' holds"),
    ("not JSON", "{not json", "not JSON: "),
    ("not an object", "[]", "not an export line"),
]


@pytest.mark.parametrize(("case", "bad", "why"), CASES, ids=[c[0] for c in CASES])
def test_a_rejected_line_is_named_and_the_rest_imported(
    zen, project, tmp_path: Path, case: str, bad: str, why: str
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join([line("first"), bad, line("last")]) + "\n")
    r = zen("storage", "import", str(source))
    assert r.code == ExitCode.ERROR, r
    [named] = [x for x in r.err.splitlines() if x.endswith(f"({source}:2)")]
    assert named.startswith("zen: error: line rejected: ") and why in named
    assert "imported 2 thread(s) into p (0 skipped as existing, 0 replaced, 1 rejected)" in r.err
    assert f"zen: error: 1 line(s) rejected, nothing of them written ({source})" in r.err
    assert "Traceback" not in r.err
    assert stored("first")[1][0] == '{"role":"user","content":"first turn 0"}'
    assert len(stored("last")[1]) == 2
    assert stored("bad") == (None, [])


def test_a_clean_file_exits_zero_with_ttls_as_given(zen, project, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(line("a", ttl=900) + "\n\n" + line("forever", ttl=None) + "\n")
    r = zen("storage", "import", str(source))
    assert r.code == 0, r
    assert "imported 2 thread(s) into p (0 skipped as existing, 0 replaced, 0 rejected)" in r.err
    store = open_storage()
    assert 890 <= store.ttl(meta_key("a")) <= 900
    assert store.ttl(meta_key("forever")) == -1 and store.ttl(turns_key("forever")) == -1
    again = zen("storage", "import", str(source), "--replace")
    assert "(0 skipped as existing, 2 replaced, 0 rejected)" in again.err


def test_what_is_echoed_from_a_line_is_escaped(zen, project, tmp_path: Path) -> None:
    source = tmp_path / "evil.jsonl"
    source.write_text(
        line("x\x1b]0;pwned\x07", ttl=60) + "\n" + line("y", meta={**META, "tool_name": "\x1b[2J"})
    )
    r = zen("storage", "import", str(source))
    assert r.code == ExitCode.ERROR
    assert "\x1b" not in r.err and "\x07" not in r.err
    assert "thread_id 'x\\x1b]0;pwned\\x07' holds \\x1b" in r.err
    # a tool name is any text, as the stores take it (export writes what they hold)
    assert "imported 1 thread(s)" in r.err
    listed = zen("storage", "threads")
    assert "\x1b" not in listed.out and "\\x1b[2J" in listed.out


def test_a_huge_line_is_refused_without_being_kept(
    zen, project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lines, "MAX_LINE_BYTES", 64 * 1024)
    source = tmp_path / "huge.jsonl"
    huge = line("huge", turns=0)[:-3] + json.dumps([{"role": "u", "content": "x" * 200_000}])
    source.write_text("\n".join([line("a"), huge + "}", line("b")]) + "\n")
    r = zen("storage", "import", str(source))
    assert r.code == ExitCode.ERROR
    assert f"line rejected: longer than 0 MiB ({source}:2)" in r.err
    assert "imported 2 thread(s)" in r.err and stored("huge") == (None, [])


def test_line_numbers_hold_across_batches(zen, project, tmp_path: Path) -> None:
    rows = [line(f"t{i}", turns=1) if i % 400 != 7 else line(f"t{i}", ttl=0) for i in range(1300)]
    (tmp_path / "many.jsonl").write_text("\n".join(rows) + "\n")
    r = zen("storage", "import", str(tmp_path / "many.jsonl"))
    assert r.code == ExitCode.ERROR
    named = [int(x.split(":")[-1].rstrip(")")) for x in r.err.splitlines() if "rejected: ttl" in x]
    assert named == [8, 408, 808, 1208]
    assert "imported 1296 thread(s)" in r.err
    assert open_storage().thread_count() == 1296


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.jsonl", "the import file does not exist"),
        (lambda p: p, "the import file is a directory"),
        (lambda p: Path("/dev/zero"), "the import file is not a regular file or a pipe"),
    ],
    ids=["missing", "directory", "device"],
)
def test_a_file_that_cannot_be_imported_is_named(
    zen, project, tmp_path: Path, make, message
) -> None:
    path = make(tmp_path)
    r = zen("storage", "import", str(path))
    assert r.code == ExitCode.ERROR
    assert r.err.startswith(f"zen: error: {message} ({path})")
    assert "internal error" not in r.err


def test_an_unreadable_file_is_named(zen, project) -> None:
    """A file its reader may not open (write-only even for root, as the tests run)."""
    path = Path("/proc/sys/vm/drop_caches")
    if not path.exists():
        pytest.skip("no /proc/sys/vm/drop_caches here")
    r = zen("storage", "import", str(path))
    assert r.code == ExitCode.ERROR
    assert r.err.startswith(f"zen: error: cannot open the import file: Permission denied ({path})")


def test_a_read_error_is_named(zen, project) -> None:
    """A file that opens and then fails to read (I/O error)."""
    r = zen("storage", "import", "/proc/self/mem")
    assert r.code == ExitCode.ERROR, r
    assert "zen: error: cannot read the import file: Input/output error (/proc/self/mem:0)" in r.err
    assert "internal error" not in r.err


def test_out_of_memory_leaves_no_truncated_thread_and_a_rerun_completes(
    zen, write_config, unique_prefix, tmp_path: Path
) -> None:
    server = servers.start(tmp_path / "full")
    try:
        write_config({"p": {"port": server.port, "key_prefix": unique_prefix}}, default="p")
        source = tmp_path / "in.jsonl"
        source.write_text("\n".join(line(f"t{i}", turns=20) for i in range(30)) + "\n")
        faults.fill_to_maxmemory(server)
        r = zen("storage", "import", str(source))
        assert r.code == ExitCode.ERROR, r
        assert "line rejected: the store refused the write (out of memory)" in r.err
        assert (
            "imported 0 thread(s) into p (0 skipped as existing, 0 replaced, 30 rejected)" in r.err
        )
        assert (
            server.cli("EVAL", f"return #redis.call('KEYS', '{unique_prefix}thread:*')", "0") == "0"
        )
        server.cli("CONFIG", "SET", "maxmemory", "0")
        again = zen("storage", "import", str(source))
        assert again.code == 0, again
        assert "imported 30 thread(s)" in again.err
        assert all(len(stored(f"t{i}")[1]) == 20 for i in range(30))
    finally:
        server.stop()


def test_an_import_stopped_by_a_lost_server_says_so_and_a_rerun_finishes(
    write_config, unique_prefix, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server stops answering after the first batch: the import ends with that
    error after what it did; once the server is back, the same import completes it."""
    import signal

    server = servers.start(tmp_path / "lost")
    try:
        timeouts = {"socket_seconds": 1}
        entry = {"port": server.port, "key_prefix": unique_prefix, "timeouts": timeouts}
        write_config({"p": entry}, default="p")
        monkeypatch.setattr(jsonl, "BATCH", 10)
        source = tmp_path / "in.jsonl"
        source.write_text("\n".join(line(f"t{i}") for i in range(50)) + "\n")
        store = open_storage()

        def stop(n: int) -> None:
            server.proc.send_signal(signal.SIGSTOP)

        with source.open("rb") as handle:
            report = jsonl.import_(store, handle, name="in", progress=stop)
        server.proc.send_signal(signal.SIGCONT)
        assert report.imported == 10 and report.stopped is not None
        assert report.stopped.exit_code == ExitCode.STORAGE_UNREACHABLE
        with source.open("rb") as handle:
            again = jsonl.import_(store, handle, name="in")
        assert again.ok and again.imported + again.skipped == 50
        assert 10 <= again.skipped <= 20  # the first batch, and the one sent when it stopped
        assert store.thread_count() == 50
        assert all(len(store.thread_read(f"t{i}")[1]) == 2 for i in range(50))
    finally:
        server.proc.send_signal(signal.SIGCONT)
        server.stop()
