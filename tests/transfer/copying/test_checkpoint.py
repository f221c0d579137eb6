"""copying.checkpoint: a private, atomic checkpoint refused when not trusted; a one-run lock."""

from __future__ import annotations

import errno
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from zenconfig.errors import ExitCode, ZenConfigError
from zenconfig.transfer.copying.checkpoint import MAX_BYTES, VERSION, Checkpoint, Lock

NOBODY = 65534


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    found = tmp_path / "zen-cli"
    found.mkdir(mode=0o700)
    return found


def _checkpoint(directory: Path, source: str = "a", target: str = "b") -> Checkpoint:
    return Checkpoint(directory / f"copy-{source}-to-{target}.checkpoint", source, target)


def test_save_writes_a_private_file_in_one_step_and_load_reads_it_back(directory: Path) -> None:
    saved = _checkpoint(directory)
    assert saved.load() is None  # no interrupted run
    old = os.umask(0)
    try:
        saved.save({"run": "r1", "phase": "scan", "position": 0, "version": 99, "from": "x"})
    finally:
        os.umask(old)
    assert saved.path.stat().st_mode & 0o777 == 0o600
    state = saved.load()
    assert state is not None
    # the file's own version and pair win over whatever the state carried
    assert (state["version"], state["from"], state["to"]) == (VERSION, "a", "b")
    assert (state["run"], state["phase"], state["position"]) == ("r1", "scan", 0)
    saved.save({**state, "phase": "done"})
    assert json.loads(saved.path.read_text())["phase"] == "done"
    assert sorted(p.name for p in directory.iterdir()) == [saved.path.name]  # no temp left


def test_save_replaces_a_symlink_and_never_writes_through_it(
    directory: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.json"
    victim.write_text("precious")
    saved = _checkpoint(directory)
    saved.path.symlink_to(victim)
    saved.save({"run": "r1"})
    assert victim.read_text() == "precious"
    assert not saved.path.is_symlink() and saved.path.stat().st_mode & 0o777 == 0o600
    assert saved.load() == {"run": "r1", "version": VERSION, "from": "a", "to": "b"}


def _other_pair(path: Path) -> None:
    path.write_text(json.dumps({"version": VERSION, "from": "a", "to": "c", "run": "r"}))


def _big(path: Path) -> None:
    path.write_text(json.dumps({"version": VERSION, "from": "a", "to": "b", "x": "y" * MAX_BYTES}))


@pytest.mark.parametrize(
    ("plant", "why"),
    [
        (lambda p: p.write_text('{"version": 2, "from": "a",'), "not JSON"),
        (lambda p: p.write_text("[" * 100_000), "not JSON"),
        (lambda p: p.write_text('["a", "b"]'), "written by another version of zen"),
        (
            lambda p: p.write_text('{"version": 1, "from": "a", "to": "b"}'),
            "written by another version of zen",
        ),
        (_other_pair, "it names another pair of projects"),
        (lambda p: p.mkdir(), "not a regular file of at most 4 MiB"),
        (_big, "not a regular file of at most 4 MiB"),
        (lambda p: p.symlink_to(p.parent / "elsewhere"), "it is a symbolic link"),
    ],
    ids=["truncated", "deep", "list", "old-version", "other-pair", "directory", "big", "link"],
)
def test_load_refuses_a_file_it_cannot_trust_and_names_it(
    directory: Path, plant: Callable[[Path], None], why: str
) -> None:
    saved = _checkpoint(directory)
    plant(saved.path)
    with pytest.raises(ZenConfigError) as caught:
        saved.load()
    error = caught.value
    assert error.message == f"the checkpoint of an interrupted copy cannot be read: {why}"
    assert error.where == str(saved.path) and error.exit_code == ExitCode.ERROR
    assert error.hint == "start over with: zen storage copy --from a --to b --restart"


class Hung(Exception):
    """The call was still blocked when the alarm rang."""


def test_load_refuses_a_fifo_without_waiting_for_a_writer(directory: Path) -> None:
    saved = _checkpoint(directory)
    os.mkfifo(saved.path)

    def ring(signum: int, frame: object) -> None:
        raise Hung("load() blocked on a FIFO")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, 2.0)  # a guard against a hang, not a measurement
    try:
        with pytest.raises(ZenConfigError) as caught:
            saved.load()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert "not a regular file" in caught.value.message


def test_load_refuses_a_checkpoint_owned_by_another_user(directory: Path) -> None:
    saved = _checkpoint(directory)
    saved.save({"run": "theirs", "phase": "scan"})
    os.chown(saved.path, NOBODY, NOBODY)
    with pytest.raises(ZenConfigError):
        saved.load()


def test_clean_removes_only_this_checkpoints_temp_files(directory: Path) -> None:
    saved = _checkpoint(directory)
    saved.save({"run": "r1"})
    mine = [directory / f".{saved.path.name}.x{i}.tmp" for i in range(2)]
    others = [directory / f".{_checkpoint(directory, 'a', 'c').path.name}.x.tmp",
              directory / f".{saved.path.name}.x.partial"]  # fmt: skip
    for path in mine + others:
        path.write_text("left by a killed writer")
    saved.clean()
    assert not any(p.exists() for p in mine)
    assert all(p.exists() for p in others) and saved.load() is not None
    saved.remove()
    saved.remove()  # nothing left to remove is not an error
    assert not saved.path.exists()


def test_the_lock_refuses_a_second_run_of_the_pair_naming_the_holder(directory: Path) -> None:
    path = directory / "nested" / "copy-a-to-b.lock"
    with Lock(path, "a", "b"):
        assert path.parent.stat().st_mode & 0o777 == 0o700
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.read_text() == f"{os.getpid()}\n"
        with pytest.raises(ZenConfigError) as caught, Lock(path, "a", "b"):
            pytest.fail("a second lock of the same pair was granted")
        error = caught.value
        assert error.message == f"another copy from a to b is running (pid {os.getpid()})"
        assert error.where == str(path)
        assert error.hint == "wait for it to end; two runs would write the same keys"
        with Lock(directory / "copy-a-to-c.lock", "a", "c"):  # another pair is independent
            pass
    assert not path.exists()  # released and removed at the end of the run
    with Lock(path, "a", "b"):  # the next run takes it at once
        assert path.exists()


def test_the_lock_is_not_taken_through_a_symlink(directory: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    path = directory / "copy-a-to-b.lock"
    path.symlink_to(victim)
    with pytest.raises(OSError) as caught, Lock(path, "a", "b"):
        pytest.fail("a lock was taken through a symlink")
    assert caught.value.errno == errno.ELOOP
    assert victim.read_text() == "precious" and path.is_symlink()
