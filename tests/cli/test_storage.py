"""cli/storage.py: ``zen storage copy`` called directly, @local to a redis-server project:
the JSON report on stdout with the summary on stderr, and Ctrl-C as ``zen: interrupted``
(130) with the command that resumes, which does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperCommand

from tests.servers import Server
from tests.storage import copying
from zenconfig import open_storage
from zenconfig.cli import storage
from zenconfig.cli.state import Options, remember
from zenconfig.storage.base import ThreadRecord
from zenconfig.transfer.copying.stores import THREADS

STAMP = "2026-01-02T10:00:00+00:00"


def ctx() -> typer.Context:
    made = typer.Context(TyperCommand("storage"))
    remember(made, Options())
    return made


def records(n: int) -> list[ThreadRecord]:
    meta = {"tool_name": "chat", "created_at": STAMP, "last_updated_at": STAMP}
    turn = '{"role": "user", "content": "hi"}'
    return [
        ThreadRecord(f"t-{i:04}", {"thread_id": f"t-{i:04}", **meta}, [turn], 600) for i in range(n)
    ]


@pytest.fixture
def endpoints(home: Path, tmp_path: Path, redis_server: Server, unique_prefix: str) -> Any:
    """@local (a database of its own) holding 700 threads, and an empty project r."""
    project = {"r": {"port": redis_server.port, "key_prefix": unique_prefix}}
    copying.write_config(home, project, local=str(tmp_path / "local.db"))
    local = open_storage(local=True)
    assert local.import_threads(records(700), replace=False).count("imported") == 700
    return local


def copy(dry_run: bool = False, as_json: bool = False) -> None:
    """The command as ``zen storage copy --from @local --to r [--dry-run] [--json]`` runs it."""
    storage.copy(ctx(), "@local", "r", dry_run=dry_run, as_json=as_json)


def test_json_is_the_report_alone_on_stdout_and_the_summary_goes_to_stderr(
    endpoints: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    copy(dry_run=True, as_json=True)
    out, err = capsys.readouterr()
    dry = json.loads(out)
    assert (dry["dry_run"], dry["method"], dry["copied"], dry["skipped"]) == (True, "store", 700, 0)
    assert err.startswith("zen: would copy 700 thread(s) and key(s) @local -> r through the store")
    assert open_storage("r").thread_count() == 0

    copy(as_json=True)
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert (report["threads"], report["keys"], report["verified"]["ok"]) == (700, 0, True)
    assert all(line.startswith("zen: ") for line in err.splitlines())
    assert "zen: verified: 700/700 present at r" in err
    assert open_storage("r").thread_count() == 700


def interrupted(real: Any) -> Any:
    """``import_threads`` of the target: the second batch is half written, then Ctrl-C."""
    calls = []

    def import_threads(store: Any, batch: list[ThreadRecord], replace: bool) -> Any:
        calls.append(len(batch))
        if len(calls) == 2:
            real(store, batch[: len(batch) // 2], replace)
            raise KeyboardInterrupt
        return real(store, batch, replace)

    return import_threads


def test_ctrl_c_says_how_to_resume_and_that_command_finishes_the_copy(
    endpoints: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from zenconfig.storage.redis.store import RedisStore

    with monkeypatch.context() as patch:
        patch.setattr(RedisStore, "import_threads", interrupted(RedisStore.import_threads))
        with pytest.raises(typer.Exit) as done:
            copy()
    assert done.value.exit_code == 130
    out, err = capsys.readouterr()
    advice = "zen storage copy --from @local --to r"
    assert (out, err) == ("", f"zen: interrupted; to resume where it stopped, run: {advice}\n")
    first = THREADS + (700 - THREADS) // 2  # the first batch whole, half of the second
    assert open_storage("r").thread_count() == first

    copy(as_json=True)  # what the advice runs
    report = json.loads(capsys.readouterr().out)
    assert report["resumed"] and report["verified"]["ok"]
    assert (report["threads"], report["skipped"]) == (700, 0)
    assert open_storage("r").thread_count() == 700


def test_ctrl_c_in_a_dry_run_has_nothing_to_resume(
    endpoints: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from zenconfig.storage.local_store import LocalStore

    def stopped(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(LocalStore, "export_threads", stopped)
    with pytest.raises(typer.Exit) as done:
        copy(dry_run=True)
    assert done.value.exit_code == 130
    assert capsys.readouterr() == ("", "zen: interrupted\n")
