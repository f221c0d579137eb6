"""Running a helper program (a password command), bounded in every way.

The program runs without a shell, in its own process group (a new session),
with stdin closed (``/dev/null``) and stderr discarded; its stdout is read up
to ``max_output`` bytes (more is ``TooMuchOutput``) and the whole run is
bounded by ``timeout`` (``TimedOut``). When the run ends, for whatever reason,
the whole process group is killed: no child it started outlives it, even one
that still holds its stdout. The leader is reaped only after the group is
killed, so the group id cannot have been reused by then.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass


class TimedOut(Exception):
    """The program did not finish within the timeout (its group was killed)."""


class TooMuchOutput(Exception):
    """The program printed more than allowed (its group was killed)."""


@dataclass(frozen=True)
class Finished:
    returncode: int  # negative: killed by that signal
    stdout: bytes


def _exit_status(pid: int) -> int | None:
    """The leader's exit status if it has exited, without reaping it."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return -1
    if info is None:
        return None
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def _read(proc: subprocess.Popen[bytes], deadline: float, max_output: int) -> bytes:
    """Stdout until EOF, or until the leader has exited and nothing more is ready."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    chunks: list[bytes] = []
    size = 0
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimedOut
            ready = selector.select(min(remaining, 0.05))
            if not ready:
                if _exit_status(proc.pid) is not None:
                    # the leader is done; a child may still hold the pipe open
                    ready = selector.select(0)
                    if not ready:
                        return b"".join(chunks)
                else:
                    continue
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > max_output:
                raise TooMuchOutput
            chunks.append(chunk)


def _wait(pid: int, deadline: float) -> int:
    while True:
        status = _exit_status(pid)
        if status is not None:
            return status
        if time.monotonic() >= deadline:
            raise TimedOut
        time.sleep(0.01)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run(argv: list[str], *, timeout: float, max_output: int) -> Finished:
    """Run ``argv`` bounded (see the module doc); OSError if it cannot start."""
    deadline = time.monotonic() + timeout
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )
    try:
        stdout = _read(proc, deadline, max_output)
        returncode = _wait(proc.pid, deadline)
    finally:
        _kill_group(proc.pid)  # the leader is not reaped yet: the group id is still ours
        if proc.stdout is not None:
            proc.stdout.close()
        proc.wait()
    return Finished(returncode, stdout)
