"""copying.keys: Redis to Redis page by page through staging, on real servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from tests.storage import copying
from zenconfig import open_storage
from zenconfig.errors import ZenConfigError
from zenconfig.storage.base import ThreadRecord
from zenconfig.transfer.copying import keys
from zenconfig.transfer.copying.checkpoint import Checkpoint
from zenconfig.transfer.copying.report import CopyReport
from zenconfig.transfer.copying.run import Run, new_run_id

N = 23
SLACK = {"connect_seconds": 10, "socket_seconds": 30}  # a loaded machine is no failure


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    """The source's server: this module's own, emptied for each test, so that SCAN
    pages are made of the test's keys only."""
    server = servers.start(tmp_path_factory.mktemp("keys-source"))
    yield server
    server.stop()


@pytest.fixture
def pair(
    write_config: Callable[..., Path],
    redis_server: servers.Server,
    own_server: servers.Server,
    unique_prefix: str,
) -> Callable[[bool], tuple[Any, Any, servers.Server]]:
    """pair(two_servers) -> (source store a, target store b, the target's server);
    ``a`` holds N string keys (most with a TTL)."""

    def make(two_servers: bool) -> tuple[Any, Any, servers.Server]:
        own_server.cli("FLUSHALL")
        there = redis_server if two_servers else own_server
        a = {"port": own_server.port, "key_prefix": unique_prefix + "a:", "timeouts": SLACK}
        b = {"port": there.port, "key_prefix": unique_prefix + "b:", "timeouts": SLACK}
        write_config({"a": a, "b": b}, fallback="error")  # never a memory store instead
        copying.fill(own_server, unique_prefix + "a:", N)
        return open_storage("a"), open_storage("b"), there

    return make


def _staged(server: servers.Server, prefix: str) -> int:
    """Names left in any staging namespace (keys or receipts) under the target's prefix."""
    return copying.count(server, f"{prefix}b:zen-copy:*")


def _run(tmp_path: Path, method: str = "auto", on_conflict: str = "skip", batch: int = 5) -> Run:
    state = {"run": new_run_id(), "path": "keys", "method": method, "on_conflict": on_conflict,
             "phase": "scan", "position": None}  # fmt: skip
    saved = Checkpoint(tmp_path / "copy-a-to-b.checkpoint", "a", "b")
    return Run(CopyReport("a", "b", method), state, saved, batch=batch)


def test_each_page_is_noted_staged_then_done_and_nothing_stays_staged(
    pair: Callable[[bool], tuple[Any, Any, servers.Server]],
    tmp_path: Path,
    unique_prefix: str,
) -> None:
    source, target, there = pair(False)
    run = _run(tmp_path)
    noted: list[tuple[str, Any]] = []
    real_save = run.checkpoint.save  # type: ignore[union-attr]

    def save(state: dict[str, Any]) -> None:
        noted.append((state["phase"], state.get("page")))
        real_save(state)

    run.checkpoint.save = save  # type: ignore[method-assign,union-attr]
    heard: list[int] = []
    run.progress = heard.append
    keys.copy(source, target, run, False)
    assert run.report.method == "copy" and run.state["method"] == "copy"  # one server
    assert noted[0] == ("scan", None)  # saved before the first write
    pages = run.state["pages"]
    assert pages >= 2 and len(noted) == 1 + 2 * pages
    for n in range(pages):  # staged (with the page's id), then moved on past it
        assert noted[1 + 2 * n][0] == "staged" and noted[1 + 2 * n][1]["id"] == n + 1
        assert noted[2 + 2 * n] == ("scan" if n + 1 < pages else "done", None)
    assert run.state["position"] is None and sum(heard) == N
    assert (run.report.copied, run.report.scanned, run.report.skipped) == (N, N, 0)
    assert run.report.ways == {"copy": N}
    assert copying.count(there, f"{unique_prefix}b:k*") == N
    assert _staged(there, unique_prefix) == 0  # neither staged keys nor receipts are left
    assert keys.verify(source, target, run) == {
        "ok": True, "source_keys": N, "missing_at_target": 0, "sampled": N,
        "values_equal": N, "ttls_within_5s": N}  # fmt: skip


def test_fail_on_conflict_names_the_key_and_drops_what_it_staged(
    pair: Callable[[bool], tuple[Any, Any, servers.Server]],
    tmp_path: Path,
    unique_prefix: str,
) -> None:
    source, target, there = pair(True)
    target.set("k7", "theirs")
    run = _run(tmp_path, on_conflict="fail", batch=1000)
    with pytest.raises(ZenConfigError) as caught:
        keys.copy(source, target, run, False)
    assert caught.value.message == (
        f"1 key(s) already exist in b, e.g. {unique_prefix}b:k7; nothing more was copied"
    )
    assert _staged(there, unique_prefix) == 0 and target.get("k7") == "theirs"
    assert copying.count(there, f"{unique_prefix}b:*") == 1 + run.report.copied  # pages before
    assert run.report.method == "dump"  # two servers


@pytest.mark.parametrize(
    ("on_conflict", "counts"),
    [("skip", (N - 2, 2, 0)), ("replace", (N, 0, 2))],
)
def test_a_dry_run_counts_and_writes_nothing(
    pair: Callable[[bool], tuple[Any, Any, servers.Server]],
    tmp_path: Path,
    unique_prefix: str,
    on_conflict: str,
    counts: tuple[int, int, int],
) -> None:
    source, target, there = pair(True)
    target.set("k1", "theirs")
    target.set("k2", "theirs")
    run = _run(tmp_path, on_conflict=on_conflict)
    run.checkpoint = None
    keys.copy(source, target, run, True)
    report = run.report
    assert (report.copied, report.skipped, report.replaced, report.scanned) == (*counts, N)
    assert copying.count(there, f"{unique_prefix}b:*") == 2 and _staged(there, unique_prefix) == 0


@pytest.mark.parametrize("target_has_threads", [False, True])
def test_the_target_index_is_rebuilt_only_when_it_kept_its_own(
    pair: Callable[[bool], tuple[Any, Any, servers.Server]],
    tmp_path: Path,
    target_has_threads: bool,
) -> None:
    source, target, _ = pair(True)
    meta = {"tool_name": "chat", "created_at": "2026-01-01T00:00:00+00:00",
            "last_updated_at": "2026-01-01T00:00:00+00:00"}  # fmt: skip
    source.import_threads([ThreadRecord("s1", meta, [], 600)], False)
    if target_has_threads:
        target.import_threads([ThreadRecord("t1", meta, [], 600)], False)
    run = _run(tmp_path, batch=1000)
    keys.copy(source, target, run, False)
    assert bool(run.state.get("reindex")) is target_has_threads
    # the index sets are kept at the target when it has them (2 sets)
    assert run.report.skipped == (2 if target_has_threads else 0)


class Killed(BaseException):
    """Stands for the process dying at that very step."""


def test_a_run_killed_mid_rename_is_finished_from_its_receipts(
    pair: Callable[[bool], tuple[Any, Any, servers.Server]],
    tmp_path: Path,
    unique_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from zenconfig.storage.redis import mover

    source, target, there = pair(True)
    real = mover.Mover.finalize

    died: list[int | None] = []

    def dying(self: Any, items: list[Any], replace: bool, page: int | None) -> Any:
        if page is not None and page >= 2 and len(items) >= 2:  # (a SCAN page may be empty)
            real(self, items[: len(items) // 2], replace, page)
            died.append(page)
            raise Killed
        return real(self, items, replace, page)

    run = _run(tmp_path)
    with monkeypatch.context() as patch:
        patch.setattr(mover.Mover, "finalize", dying)
        with pytest.raises(Killed):
            keys.copy(source, target, run, False)
    saved = run.checkpoint.load()  # type: ignore[union-attr]
    assert saved is not None and saved["phase"] == "staged" and [saved["page"]["id"]] == died
    assert _staged(there, unique_prefix) > 0  # the rest of the page, and its receipt
    resumed = Run(CopyReport("a", "b", "auto"), saved, run.checkpoint, batch=5)
    resumed.resume("skip", "auto")
    keys.copy(source, target, resumed, False)
    assert resumed.report.resumed
    assert (resumed.report.copied, resumed.report.skipped) == (N, 0)  # exact, none twice
    assert copying.count(there, f"{unique_prefix}b:k*") == N and _staged(there, unique_prefix) == 0
    assert keys.verify(source, target, resumed)["ok"]


def test_verify_finds_missing_and_differing_keys(
    pair: Callable[[bool], tuple[Any, Any, servers.Server]],
    tmp_path: Path,
) -> None:
    source, target, _ = pair(True)
    run = _run(tmp_path)
    keys.copy(source, target, run, False)
    target.set("k1", "changed")  # k1 had a TTL: now the value and the TTL differ
    target.delete("k2")  # lost at the target: missing, and unequal
    source.delete("k3")  # gone from the source since: neither counted nor compared
    found = keys.verify(source, target, run)
    assert not found["ok"] and (found["source_keys"], found["missing_at_target"]) == (N - 1, 1)
    assert found["sampled"] == N - 1
    assert (found["values_equal"], found["ttls_within_5s"]) == (N - 3, N - 3)
