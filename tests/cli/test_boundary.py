"""cli/boundary.py: each error becomes its message lines and its exit code, never a traceback."""

from __future__ import annotations

import errno
import inspect
import os
import sys

import pytest
import typer

from zenconfig import redact
from zenconfig.cli import boundary as b
from zenconfig.errors import (
    ConfigError,
    ExitCode,
    SecretUnavailableError,
    StorageUnavailableError,
    UnknownProjectError,
    UsageError,
    WriteUnknownError,
    ZenConfigError,
)


def _exit_of(fn: object, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Call a boundary-wrapped function; its exit code and what it wrote."""
    with pytest.raises(typer.Exit) as caught:
        fn()  # type: ignore[operator]
    captured = capsys.readouterr()
    return caught.value.exit_code, captured.out, captured.err


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ZenConfigError("plain failure", where="f.json", hint="do this"), ExitCode.ERROR),
        (UsageError("bad flags", where="f.json", hint="do this"), ExitCode.USAGE),
        (ConfigError("bad file", where="f.json", hint="do this"), ExitCode.INVALID_CONFIG),
        (StorageUnavailableError("down", where="f.json", hint="do this"), 4),
        (WriteUnknownError("lost", where="f.json", hint="do this"), 4),
        (SecretUnavailableError("no keyring", where="f.json", hint="do this"), 5),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_each_error_class_keeps_its_exit_code_and_two_lines(
    error: ZenConfigError, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    @b.boundary
    def command() -> None:
        raise error

    exit_code, out, err = _exit_of(command, capsys)
    assert exit_code == code
    assert out == ""
    assert err == f"zen: error: {error.message} (f.json)\nhint: do this\n"


def test_an_unexpected_exception_is_one_masked_line_and_exit_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    redact.remember("s3cr3t-pw")

    @b.boundary
    def command() -> None:
        raise KeyError("lookup failed for s3cr3t-pw")

    exit_code, out, err = _exit_of(command, capsys)
    assert exit_code == ExitCode.ERROR
    assert out == ""
    assert err == (
        "zen: error: internal error: KeyError: 'lookup failed for ********'\n"
        "hint: rerun with --verbose for the traceback\n"
    )


def test_verbose_prints_the_traceback_masked_then_the_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(b.VERBOSE, "on", True)
    redact.remember("hunter2")

    @b.boundary
    def command() -> None:
        raise StorageUnavailableError("Redis is down", hint="start it")

    exit_code, _, err = _exit_of(command, capsys)
    assert exit_code == ExitCode.STORAGE_UNREACHABLE
    assert err.startswith("Traceback (most recent call last):")
    assert 'raise StorageUnavailableError("Redis is down"' in err
    assert err.endswith("zen: error: Redis is down\nhint: start it\n")

    monkeypatch.setitem(b.VERBOSE, "on", False)
    _, _, quiet = _exit_of(command, capsys)
    assert "Traceback" not in quiet


def test_os_errors_name_the_file_and_escape_it(capsys: pytest.CaptureFixture[str]) -> None:
    @b.boundary
    def command() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "/tmp/out\x1b[2J.jsonl")

    exit_code, _, err = _exit_of(command, capsys)
    assert exit_code == ExitCode.ERROR
    assert err == (
        "zen: error: cannot complete the command: No space left on device "
        "(/tmp/out\\x1b[2J.jsonl)\n"
    )
    no_file = b.os_error(OSError(errno.EROFS, "Read-only file system"))
    assert (no_file.message, no_file.where) == (
        "cannot complete the command: Read-only file system",
        None,
    )
    bare = b.os_error(FileNotFoundError())
    assert bare.message == "cannot complete the command: FileNotFoundError"


def test_interrupt_exits_130_and_exits_pass_through(capsys: pytest.CaptureFixture[str]) -> None:
    @b.boundary
    def interrupted() -> None:
        raise KeyboardInterrupt

    assert _exit_of(interrupted, capsys) == (130, "", "zen: interrupted\n")

    @b.boundary
    def exits() -> None:
        raise typer.Exit(7)

    assert _exit_of(exits, capsys) == (7, "", "")

    @b.boundary
    def aborts() -> None:
        raise typer.Abort()

    with pytest.raises(typer.Abort):
        aborts()


def test_a_reader_that_went_away_is_141_and_nothing_more(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(write_end, "w", encoding="utf-8") as gone, monkeypatch.context() as patch:
        patch.setattr(sys, "stdout", gone)

        @b.boundary
        def command() -> None:
            b.out("x" * 100_000)
            gone.flush()

        with pytest.raises(typer.Exit) as caught:
            command()
        gone.write("flushed at exit\n")
        gone.flush()  # now into /dev/null: no second BrokenPipeError
    assert caught.value.exit_code == 141
    assert capsys.readouterr().err == ""


def test_the_wrapper_keeps_the_signature_typer_reads(capsys: pytest.CaptureFixture[str]) -> None:
    def command(name: str, count: int = 3, *, as_json: bool = False) -> str:
        """Do a thing."""
        return f"{name}:{count}:{as_json}"

    wrapped = b.boundary(command)
    assert inspect.signature(wrapped) == inspect.signature(command)
    assert (wrapped.__name__, wrapped.__doc__) == ("command", "Do a thing.")
    assert wrapped("x", count=5, as_json=True) == "x:5:True"
    assert capsys.readouterr() == ("", "")


def test_the_writers_split_data_and_messages(capsys: pytest.CaptureFixture[str]) -> None:
    b.out("row\x07one")
    b.out_json({"k": "v"})
    b.note("saved")
    b.warn("careful")
    b.report(UnknownProjectError("p3", ["p1", "p2"]))
    captured = capsys.readouterr()
    assert captured.out == 'row\\x07one\n{\n  "k": "v"\n}\n'
    assert captured.err == (
        "zen: saved\n"
        "zen: warning: careful\n"
        "zen: error: unknown project 'p3'\n"
        "hint: known projects: p1, p2\n"
    )
