"""cli/progress.py: a bar only when stderr is a terminal and one is wanted; rich loads only then."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from zenconfig.cli.progress import counter

SCRIPT = """
import sys
from zenconfig.cli.progress import counter
with counter("importing", "threads", wanted=sys.argv[1] == "yes") as advance:
    print("advance:", "none" if advance is None else "callable", file=sys.stderr, flush=True)
    if advance is not None:
        advance(3)
        advance(1234, total=5000)
print("rich loaded:", "rich" in sys.modules, file=sys.stderr, flush=True)
"""


def _drain(fds: dict[int, bytearray], proc: subprocess.Popen[bytes]) -> None:
    """Read the terminals' controller ends until the child is gone and they are empty."""
    live = set(fds)
    while live:
        ready, _, _ = select.select(list(live), [], [], 0.1)
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: every writer is gone
                chunk = b""
            if chunk:
                fds[fd] += chunk
            else:
                live.discard(fd)
        if not ready and proc.poll() is not None:
            return


def _run(wanted: bool, stdout_tty: bool, stderr_tty: bool, tmp_path: Path) -> tuple[str, str]:
    """Run SCRIPT with stdout and stderr each a terminal or a file; what each received."""
    opened: list[int] = []
    streams: dict[str, int] = {}
    collected: dict[int, bytearray] = {}
    for name, tty in (("out", stdout_tty), ("err", stderr_tty)):
        if tty:
            controller, child_end = os.openpty()
            opened += [controller, child_end]
            collected[controller] = bytearray()
            streams[name] = child_end
        else:
            fd = os.open(tmp_path / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            opened.append(fd)
            streams[name] = fd
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120"}
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, "yes" if wanted else "no"],
            stdin=subprocess.DEVNULL,
            stdout=streams["out"],
            stderr=streams["err"],
            env=env,
        )
        for fd in streams.values():  # the child holds its own copies
            os.close(fd)
            opened.remove(fd)
        _drain(collected, proc)
        assert proc.wait(60) == 0
    finally:
        for fd in opened:
            os.close(fd)
    texts = iter(bytes(data).decode("utf-8", "replace") for data in collected.values())
    out = next(texts) if stdout_tty else (tmp_path / "out").read_text()
    err = next(texts) if stderr_tty else (tmp_path / "err").read_text()
    return out, err


@pytest.fixture
def stderr_is_a_terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    controller, tty = os.openpty()
    with open(tty, "w", encoding="utf-8") as terminal, monkeypatch.context() as patch:
        patch.setattr(sys, "stderr", terminal)
        yield
    os.close(controller)


def test_no_bar_unless_wanted(stderr_is_a_terminal: None) -> None:
    with counter("exporting", "threads", wanted=False) as advance:
        assert advance is None


def test_off_a_terminal_nothing_is_shown_and_rich_stays_unloaded(tmp_path: Path) -> None:
    out, err = _run(wanted=True, stdout_tty=True, stderr_tty=False, tmp_path=tmp_path)
    assert err.splitlines() == ["advance: none", "rich loaded: False"]
    assert out == ""


def test_on_a_terminal_the_bar_counts_what_it_is_told(tmp_path: Path) -> None:
    out, err = _run(wanted=True, stdout_tty=True, stderr_tty=True, tmp_path=tmp_path)
    assert "advance: callable" in err and "rich loaded: True" in err
    assert "importing" in err
    assert "1,237 threads" in err  # 3 + 1234, with the unit
    assert out == ""


def test_the_bar_is_drawn_on_stderr_and_never_reaches_stdout(tmp_path: Path) -> None:
    out, err = _run(wanted=True, stdout_tty=False, stderr_tty=True, tmp_path=tmp_path)
    assert "1,237 threads" in err
    assert out == ""
