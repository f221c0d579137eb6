"""copying.run: what a run saves after each step, how it resumes, and its conflict message."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from zenconfig.errors import ExitCode
from zenconfig.transfer.copying.checkpoint import Checkpoint
from zenconfig.transfer.copying.report import CopyReport, Reservoir
from zenconfig.transfer.copying.run import SAMPLE, Run, new_run_id, ttl_close


def _state(**more: object) -> dict[str, object]:
    return {"run": new_run_id(), "path": "store", "method": "store", "on_conflict": "skip",
            "phase": "threads", "position": 0, **more}  # fmt: skip


def _interrupted(path: Path) -> Checkpoint:
    """The checkpoint of a run that copied 40 items, kept 2 and stopped."""
    saved = Checkpoint(path, "a", "b")
    run = Run(CopyReport("a", "b", "store"), _state(), saved)
    run.copied = Reservoir(SAMPLE, random.Random(1))
    run.report.scanned, run.report.copied, run.report.skipped = 42, 40, 2
    run.report.ways["store"] = 40
    run.note("keys that are not text are not copied to b, e.g. 'x'")
    run.copied.extend(list(range(40)), lambda i: ("k", f"key{i}"))
    run.kept.offer(("t", "thread-1"))
    run.save(position=42)
    return saved


def test_save_writes_the_counts_and_samples_with_the_state(tmp_path: Path) -> None:
    saved = _interrupted(tmp_path / "copy-a-to-b.checkpoint")
    state = saved.load()
    assert state is not None
    assert (state["phase"], state["position"]) == ("threads", 42)
    assert state["counts"]["copied"] == 40 and state["counts"]["skipped"] == 2
    assert state["ways"] == {"store": 40} and len(state["notes"]) == 1
    assert state["sample"]["seen"] == 40 and len(state["sample"]["items"]) == 40
    assert state["kept_sample"]["items"] == [["s:t", "s:thread-1"]]


def test_a_dry_run_only_moves_its_state_on() -> None:
    run = Run(CopyReport("a", "b", "store", dry_run=True), _state(), None)
    run.report.copied = 3
    run.save(phase="keys", position=7)
    assert (run.state["phase"], run.state["position"]) == ("keys", 7)
    assert not {"counts", "sample", "kept_sample"} & set(run.state)


def test_resume_takes_the_interrupted_runs_counts_and_samples(tmp_path: Path) -> None:
    state = _interrupted(tmp_path / "copy-a-to-b.checkpoint").load()
    assert state is not None
    run = Run(CopyReport("a", "b", "store"), state)
    run.resume("skip", "auto")
    assert run.report.resumed and run.report.counts()["copied"] == 40
    assert run.report.ways == {"store": 40} and len(run.report.notes) == 1
    assert run.copied.seen == 40 and ("k", "key39") in run.copied.items
    assert run.kept.items == [("t", "thread-1")]
    assert run.options() is None  # same options: nothing to switch, nothing noted
    assert run.on_conflict == "skip" and len(run.report.notes) == 1
    assert run.options() is None  # taken once


@pytest.mark.parametrize(
    ("method", "wanted"),
    [("auto", None), ("dump", None), ("migrate", "migrate")],
)
def test_options_switch_to_the_resuming_commands_after_the_run_in_flight(
    method: str, wanted: str | None
) -> None:
    run = Run(CopyReport("a", "b", "dump"), _state(method="dump", on_conflict="skip"))
    run.resume("replace", method)
    assert not run.replace  # the page in flight finishes with the old option
    assert run.options() == wanted
    assert run.replace and run.state["on_conflict"] == "replace" and "then" not in run.state
    assert run.report.notes == ["resumed with --on-conflict replace (the interrupted run had skip)"]
    run.note(run.report.notes[0])  # a note is given once
    assert len(run.report.notes) == 1


def test_conflict_names_the_count_and_an_escaped_example() -> None:
    run = Run(CopyReport("a", "b-project", "dump"), _state(on_conflict="fail"))
    error = run.conflict(3, "key(s)", "evil\x1b[2Jname" + "x" * 200)
    assert error.message.startswith("3 key(s) already exist in b-project, e.g. evil\\x1b[2Jname")
    assert error.message.endswith("x…; nothing more was copied") and "\x1b" not in error.message
    assert error.exit_code == ExitCode.ERROR
    assert error.hint is not None and "--on-conflict skip" in error.hint
    assert "replace" in error.hint and "where this run stopped" in error.hint


def test_progress_hears_of_each_step_that_moved_something() -> None:
    heard: list[int] = []
    run = Run(CopyReport("a", "b", "dump"), _state(), None, heard.append)
    run.advance(5)
    run.advance(0)
    run.advance(2)
    assert heard == [5, 2]
    Run(CopyReport("a", "b", "dump"), _state()).advance(3)  # no listener: nothing to call
    ids = {new_run_id() for _ in range(50)}
    assert len(ids) == 50 and all(len(i) == 16 and int(i, 16) >= 0 for i in ids)


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [(100, 100, True), (100, 95, True), (95, 100, True), (100, 94, False),
     (-1, -1, True), (-1, 5, False), (5, -1, False), (-2, -1, False), (0, 0, True)],
)  # fmt: skip
def test_ttl_close(a: int, b: int, close: bool) -> None:
    assert ttl_close(a, b, 5) is close
