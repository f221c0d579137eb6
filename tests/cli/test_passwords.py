"""cli/passwords.py: the one password source the flags name, checked before a secret is read."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import IO

import pytest

from tests.conftest import Run
from zenconfig.cli import passwords
from zenconfig.core import Context, PasswordInput
from zenconfig.core import passwords as core_passwords
from zenconfig.errors import ExitCode, ProjectExistsError, UsageError


@pytest.fixture
def piped(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bytes], IO[str]]]:
    """Make standard input a real pipe holding the given bytes (then closed for writing)."""
    opened: list[IO[str]] = []

    def feed(data: bytes) -> IO[str]:
        read_end, write_end = os.pipe()
        os.write(write_end, data)
        os.close(write_end)
        stdin = open(read_end, encoding="utf-8")  # noqa: SIM115 (closed below)
        opened.append(stdin)
        monkeypatch.setattr(sys, "stdin", stdin)
        return stdin

    yield feed
    for stdin in opened:
        stdin.close()


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make standard input a real terminal (a pseudo-terminal nobody types on)."""
    controller, tty = os.openpty()
    stdin = open(tty, encoding="utf-8")  # noqa: SIM115 (closed below)
    monkeypatch.setattr(sys, "stdin", stdin)
    yield
    stdin.close()
    os.close(controller)


def _read(
    *,
    from_stdin: bool = False,
    ask: bool = False,
    env: str | None = None,
    command: str | None = None,
    prompt_default: bool = False,
    check: Callable[[], None] | None = None,
) -> PasswordInput | None:
    return passwords.read(from_stdin, ask, env, command, prompt_default=prompt_default, check=check)


def test_two_sources_are_refused_naming_both() -> None:
    with pytest.raises(UsageError) as caught:
        _read(from_stdin=True, env="PW", command="pass show x")
    assert caught.value.message == (
        "choose one password source: --password-stdin or --password-env or --password-command"
    )
    assert caught.value.exit_code == ExitCode.USAGE


def test_references_are_checked_and_split_without_a_shell() -> None:
    assert _read(env="REDIS_PW_1") == PasswordInput(env="REDIS_PW_1")
    for bad in ("1PW", "PW-1", "PW=x", "$PW"):
        with pytest.raises(UsageError, match=r"--password-env takes a variable name, not '"):
            _read(env=bad)
    said = _read(command="pass show 'redis/p 1' | cat")
    assert said == PasswordInput(command=["pass", "show", "redis/p 1", "|", "cat"])
    with pytest.raises(UsageError, match="--password-command cannot be split into words: "):
        _read(command="pass show 'redis/p1")
    with pytest.raises(UsageError, match=r"^--password-command is empty$"):
        _read(command="   ")


def test_stdin_gives_its_first_line_without_the_line_end(
    piped: Callable[[bytes], IO[str]],
) -> None:
    rest = piped("pässwörd with spaces \r\nsecond line\n".encode())
    assert _read(from_stdin=True) == PasswordInput(secret="pässwörd with spaces ")
    assert rest.buffer.read() == b"second line\n"  # nothing read past the first line


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\n", "--password-stdin read an empty password"),
        (b"", "--password-stdin read an empty password"),
        (b"caf\xe9\n", "--password-stdin read bytes that are not UTF-8 text"),
    ],
)
def test_stdin_that_holds_no_password(
    piped: Callable[[bytes], IO[str]], data: bytes, message: str
) -> None:
    piped(data)
    with pytest.raises(UsageError) as caught:
        _read(from_stdin=True)
    assert caught.value.message == message


def test_the_destination_is_checked_before_stdin_is_read(
    zen: Callable[..., Run], two_projects: None, piped: Callable[[bytes], IO[str]]
) -> None:
    stdin = piped(b"never-read\n")
    context = Context.create()
    with pytest.raises(ProjectExistsError, match="project 'p1' already exists"):
        _read(
            from_stdin=True,
            check=lambda: core_passwords.check_destination(context, "p1", new=True),
        )
    assert stdin.buffer.read() == b"never-read\n"
    with pytest.raises(ProjectExistsError):  # an explicit prompt is not shown either
        _read(ask=True, check=lambda: core_passwords.check_destination(context, "p2", new=True))


def test_a_terminal_is_never_read_as_a_pipe(terminal: None) -> None:
    checked: list[bool] = []
    with pytest.raises(UsageError) as caught:
        _read(from_stdin=True, check=lambda: checked.append(True))
    assert caught.value.message == (
        "--password-stdin reads a pipe, but standard input is a terminal "
        "(the password would be echoed)"
    )
    assert caught.value.hint is not None and "--ask-password" in caught.value.hint
    assert checked == []


def test_no_source_is_none_unless_a_prompt_is_wanted(piped: Callable[[bytes], IO[str]]) -> None:
    assert _read() is None
    piped(b"pw\n")
    with pytest.raises(UsageError) as caught:
        _read(prompt_default=True)
    assert caught.value.message == "no terminal to prompt on"
    assert caught.value.hint == (
        "pipe the password with --password-stdin, or use --password-env VAR"
    )
    assert sys.stdin.buffer.read() == b"pw\n"
