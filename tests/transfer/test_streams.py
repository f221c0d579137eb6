"""transfer.streams: the import file judged by its open descriptor; the export written privately."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from zenconfig.errors import ExitCode, ZenConfigError
from zenconfig.transfer.streams import atomic_output, open_input


class Hung(Exception):
    """The call was still blocked when the alarm rang."""


@contextlib.contextmanager
def no_hang(seconds: float = 5.0) -> Iterator[None]:
    """Turn a blocked call into a failure (a guard, not a measurement)."""

    def ring(signum: int, frame: object) -> None:
        raise Hung("still blocked")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_named_pipe_waits_for_its_writer_and_reads_everything(tmp_path: Path) -> None:
    """As ``cat`` does: a pipe named before its writer starts is read once it writes
    (opening it without waiting would read an empty pipe and import nothing)."""
    import threading
    import time

    fifo = tmp_path / "export.fifo"
    os.mkfifo(fifo)
    lines = b'{"thread_id": "t"}\n' * 1000

    def writer() -> None:
        time.sleep(0.3)  # the reader is waiting by now
        with open(fifo, "wb") as out:
            out.write(lines)

    started = threading.Thread(target=writer)
    started.start()
    with no_hang(), open_input(fifo) as handle:
        assert os.get_blocking(handle.fileno())
        assert handle.read() == lines
    started.join(5)


@pytest.mark.parametrize(
    ("pointed", "message", "hint"),
    [
        (
            lambda p: p,
            "the import file is a directory",
            "name a file written by 'zen storage export' (or, for zen-cli's directory, "
            "use --from-zen-files)",
        ),
        (lambda p: Path("/dev/null"), "the import file is not a regular file or a pipe", None),
    ],
    ids=["directory", "device"],
)
def test_what_a_symlink_leads_to_is_judged_not_the_link(
    tmp_path: Path, pointed: Callable[[Path], Path], message: str, hint: str | None
) -> None:
    link = tmp_path / "looks-like-a.jsonl"
    link.symlink_to(pointed(tmp_path))
    with pytest.raises(ZenConfigError) as caught:
        open_input(link)
    error = caught.value
    assert (error.message, error.where, error.hint) == (message, str(link), hint)
    assert error.exit_code == ExitCode.ERROR


def test_a_symlink_to_a_regular_file_is_read_through(tmp_path: Path) -> None:
    real = tmp_path / "real.jsonl"
    real.write_bytes(b"line 1\nline 2\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    with open_input(link) as handle:
        assert handle.read() == b"line 1\nline 2\n"


@pytest.mark.parametrize("kind", ["missing", "dangling link"])
def test_a_missing_file_is_named_with_its_name_escaped(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "evil\x1b[31mname.jsonl"
    if kind == "dangling link":
        path.symlink_to(tmp_path / "gone")
    with pytest.raises(ZenConfigError) as caught:
        open_input(path)
    assert caught.value.message == "the import file does not exist"
    assert caught.value.where == str(tmp_path / "evil\\x1b[31mname.jsonl")


def test_the_export_is_written_beside_the_name_privately_and_appears_whole(
    tmp_path: Path,
) -> None:
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"the old export\n")
    target.chmod(0o644)
    old = os.umask(0)
    try:
        with atomic_output(target) as handle:
            handle.write(b"half of the new one")
            handle.flush()
            (temp,) = [p for p in tmp_path.iterdir() if p != target]
            assert temp.name.startswith(".out.jsonl.") and temp.name.endswith(".partial")
            assert temp.stat().st_mode & 0o777 == 0o600
            assert target.read_bytes() == b"the old export\n"  # a reader sees the old one
            handle.write(b", and the rest\n")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"half of the new one, and the rest\n"
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_an_export_that_fails_midway_keeps_the_old_file_and_leaves_no_temp(
    tmp_path: Path,
) -> None:
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"the old export\n")
    with pytest.raises(RuntimeError, match="lost the server"), atomic_output(target) as handle:
        handle.write(b"partial")
        raise RuntimeError("lost the server")
    assert target.read_bytes() == b"the old export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


@pytest.mark.parametrize(
    ("make", "message", "hint"),
    [
        (
            lambda p: p.mkdir(),
            "the export file exists and is not a regular file",
            "write to standard output instead (no -o) to pipe the export",
        ),
        (
            lambda p: p.parent.rmdir(),
            "cannot write the export: No such file or directory",
            None,
        ),
    ],
    ids=["directory", "no-parent"],
)
def test_an_export_that_cannot_be_written_is_refused_before_any_byte(
    tmp_path: Path, make: Callable[[Path], None], message: str, hint: str | None
) -> None:
    target = tmp_path / "exports" / "out.jsonl"
    target.parent.mkdir()
    make(target)
    with pytest.raises(ZenConfigError) as caught, atomic_output(target):
        pytest.fail("the block ran")
    assert (caught.value.message, caught.value.hint) == (message, hint)
    assert caught.value.where == str(target)
    if target.parent.exists():
        assert [p.name for p in target.parent.iterdir()] == ["out.jsonl"]
