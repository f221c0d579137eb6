"""cli/copying.py: the copy's closing summary and verdict, and the copy run under its bar."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from zenconfig.cli.copying import summary, with_bar
from zenconfig.core import Context
from zenconfig.errors import ExitCode, ZenConfigError
from zenconfig.transfer.copying.report import CopyReport


def _err(capsys: pytest.CaptureFixture[str]) -> list[str]:
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err.splitlines()


def test_a_copy_says_what_it_did_by_which_method(capsys: pytest.CaptureFixture[str]) -> None:
    report = CopyReport(
        "a", "b", "dump", copied=50, skipped=2, replaced=3, vanished=1, seconds=0.25
    )
    summary(report, "a", "b")
    assert _err(capsys) == [
        "zen: copied 50 key(s) a -> b by dump (2 already at b (kept), 3 replaced, "
        "1 expired meanwhile, 200/s)"
    ]
    quick = CopyReport("a", "b", "copy", copied=4, resumed=True, notes=["b was reindexed"])
    summary(quick, "a", "b")
    assert _err(capsys) == [
        "zen: copied 4 key(s) a -> b by copy (0 already at b (kept)) after resuming",
        "zen: b was reindexed",
    ]


def test_a_store_copy_counts_threads_and_keys(capsys: pytest.CaptureFixture[str]) -> None:
    done = CopyReport("@local", "p", "store", copied=7, threads=5, keys=2, skipped=1, seconds=1)
    summary(done, "@local", "p")
    assert _err(capsys) == [
        "zen: copied 5 thread(s) and 2 key(s) @local -> p through the store contract "
        "(1 already at p (kept), 7/s)"
    ]
    planned = CopyReport("@local", "p", "store", copied=7, skipped=1, dry_run=True)
    summary(planned, "@local", "p")
    assert _err(capsys) == [
        "zen: would copy 7 thread(s) and key(s) @local -> p through the store contract "
        "(1 already at p (would keep))"
    ]


def test_differing_kept_keys_point_to_replace(capsys: pytest.CaptureFixture[str]) -> None:
    report = CopyReport(
        "a", "b", "dump", copied=1, skipped=4, conflicts={"differing": 2, "sampled": 4}
    )
    summary(report, "a", "b")
    assert _err(capsys)[1] == (
        "zen: of the 4 kept at b, 2 of 4 sampled differ from a; to overwrite them: "
        "zen storage copy --from a --to b --on-conflict replace"
    )
    same = CopyReport("a", "b", "dump", skipped=4, conflicts={"differing": 0, "sampled": 4})
    summary(same, "a", "b")
    assert len(_err(capsys)) == 1


def _verified(**changes: Any) -> dict[str, Any]:
    found = {
        "source_keys": 10,
        "missing_at_target": 0,
        "sampled": 6,
        "values_equal": 6,
        "ttls_within_5s": 6,
        "ok": True,
    }
    found.update(changes)
    return found


def test_a_verified_copy_says_so_and_passes(capsys: pytest.CaptureFixture[str]) -> None:
    summary(CopyReport("a", "b", "copy", copied=10, verified=_verified()), "a", "b")
    assert _err(capsys)[-1] == (
        "zen: verified: 10/10 present at b, 6/6 sampled values and 6 TTLs match"
    )


def test_missing_keys_fail_the_copy_after_the_counts(capsys: pytest.CaptureFixture[str]) -> None:
    report = CopyReport(
        "a", "b", "copy", copied=8, verified=_verified(missing_at_target=2, ok=False)
    )
    with pytest.raises(ZenConfigError) as caught:
        summary(report, "a", "b")
    assert _err(capsys)[-1] == (
        "zen: verified: 8/10 present at b, 6/6 sampled values and 6 TTLs match"
    )
    assert caught.value.exit_code == ExitCode.ERROR
    assert caught.value.message == (
        "verification failed: 2 of a's keys are missing at the target "
        "(written to the source during the copy?)"
    )
    assert caught.value.hint == "copy again: it copies what is missing and keeps what is there"


def test_differing_samples_fail_with_the_counts(capsys: pytest.CaptureFixture[str]) -> None:
    report = CopyReport(
        "a", "b", "dump", copied=10, verified=_verified(values_equal=5, ttls_within_5s=3, ok=False)
    )
    with pytest.raises(ZenConfigError) as caught:
        summary(report, "a", "b")
    assert caught.value.message == (
        "verification failed: of 6 sampled copies, 1 differ in value and 3 in TTL "
        "(the source changed during the copy?)"
    )
    assert caught.value.hint == (
        "copy again with --on-conflict replace: zen storage copy --from a --to b "
        "--on-conflict replace"
    )


OPTIONS = {"on_conflict": "skip", "dry_run": False, "method": "auto", "restart": False}


@pytest.fixture
def pair(
    write_config: Callable[..., Path], redis_server: servers.Server, unique_prefix: str
) -> str:
    """Projects a and b on one server, three plain keys under a's prefix."""
    write_config(
        {
            "a": {"port": redis_server.port, "key_prefix": unique_prefix + "a:"},
            "b": {"port": redis_server.port, "key_prefix": unique_prefix + "b:"},
        }
    )
    for n in range(3):
        redis_server.cli("SET", f"{unique_prefix}a:k{n}", f"v{n}", "EX", "600")
    return unique_prefix


def test_the_bar_runs_the_copy_with_its_options(pair: str, redis_server: servers.Server) -> None:
    planned = with_bar(Context.create(), "a", "b", {**OPTIONS, "dry_run": True})
    assert (planned.dry_run, planned.copied) == (True, 3)
    assert redis_server.cli("EXISTS", f"{pair}b:k0", f"{pair}b:k1", f"{pair}b:k2") == "0"
    report = with_bar(Context.create(), "a", "b", OPTIONS)
    assert (report.method, report.copied, report.skipped) == ("copy", 3, 0)
    assert [redis_server.cli("GET", f"{pair}b:k{n}") for n in range(3)] == ["v0", "v1", "v2"]
    assert report.verified["ok"] is True
    again = with_bar(Context.create(), "a", "b", OPTIONS)
    assert (again.copied, again.skipped) == (0, 3)


def test_the_bar_keeps_off_stdout(
    pair: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As `zen storage copy` runs it: stderr a terminal, stdout a file or pipe."""
    controller, tty = os.openpty()
    try:
        with open(tty, "w", encoding="utf-8") as terminal, monkeypatch.context() as patch:
            patch.setattr(sys, "stderr", terminal)
            report = with_bar(Context.create(), "a", "b", OPTIONS)
    finally:
        os.close(controller)
    assert report.copied == 3
    assert capsys.readouterr().out == ""
