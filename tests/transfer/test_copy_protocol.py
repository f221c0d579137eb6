"""zen storage copy: the staging namespace, the checkpoint, resume and the lock.

Real redis-server processes; a run is killed for real (SIGKILL, SIGINT) or, to
stop it at an exact step, by an exception raised from inside that step.
"""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import servers
from tests.storage import copying
from tests.storage.copying import count, fill, staged
from zenconfig.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def target_server(tmp_path_factory):
    server = servers.start(tmp_path_factory.mktemp("copy-target"))
    yield server
    server.stop()


def _config(home: Path, src: servers.Server, dst: servers.Server, prefix: str) -> None:
    copying.write_config(
        home,
        {
            "a": {"port": src.port, "key_prefix": prefix + "a:"},
            "b": {"port": dst.port, "key_prefix": prefix + "b:"},
        },
    )


@pytest.mark.slow
def test_a_resumed_copy_never_touches_a_third_projects_keys(
    home, redis_server, target_server, unique_prefix
) -> None:
    """A project on the source server whose prefix is the target's (rename-project
    keeps prefixes) holds keys equal to the source's: a resumed copy leaves them be."""
    _config(home, redis_server, target_server, unique_prefix)
    fill(redis_server, unique_prefix + "a:", 100_000)
    third = copying.client(redis_server)
    names = [f"k{i}" for i in range(0, 100_000, 7)]
    for start in range(0, len(names), 2000):
        pipe = third.pipeline(transaction=False)
        for name in names[start : start + 2000]:
            pipe.copy(f"{unique_prefix}a:{name}", f"{unique_prefix}b:{name}")
        pipe.execute()
    proc = copying.start_copy(home, "a", "b", "--method", "migrate")
    copying.wait_for(proc, lambda: count(target_server, f"{unique_prefix}b:k*") >= 30_000)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert copying.checkpoint(home, "a", "b").exists()
    done = copying.run_copy(home, "a", "b", "--method", "migrate")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["resumed"] and report["verified"]["ok"]
    # the third project's keys: all there, unchanged, on the source server
    assert count(redis_server, f"{unique_prefix}b:k*") == len(names)
    for name in names[::997]:
        assert third.get(f"{unique_prefix}b:{name}") == third.get(f"{unique_prefix}a:{name}")
    assert staged([redis_server, target_server]) == 0
    assert count(target_server, f"{unique_prefix}b:*") == 100_000
    third.close()


class Killed(BaseException):
    """Stands for the process dying at that very step."""


@contextlib.contextmanager
def _crash_in(step: str, page: int = 3) -> Iterator[None]:
    """Die inside ``Mover.<step>`` of the ``page``-th page (finalize: halfway through)."""
    from zenconfig.storage.redis import mover

    real = getattr(mover.Mover, step)
    calls = {"n": 0}

    def dying(self, items, *args):
        calls["n"] += 1
        if calls["n"] < page:
            return real(self, items, *args)
        real(self, items[: len(items) // 2] if step == "finalize" else items, *args)
        raise Killed

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mover.Mover, step, dying)
        with pytest.raises(Killed):
            yield


@pytest.mark.parametrize("method", ["migrate", "dump", "copy"])
@pytest.mark.parametrize("step", ["stage", "finalize"])
@pytest.mark.parametrize("page", [1, 3])
def test_killed_at_any_step_resumes_exactly_and_leaves_no_staging(
    zen, home, redis_server, target_server, unique_prefix, method: str, step: str, page: int
) -> None:
    dst = redis_server if method == "copy" else target_server
    _config(home, redis_server, dst, unique_prefix)
    fill(redis_server, unique_prefix + "a:", 12_000)
    with _crash_in(step, page):
        zen("storage", "copy", "--from", "a", "--to", "b", "--method", method)
    assert copying.checkpoint(home, "a", "b").exists()
    r = zen("storage", "copy", "--from", "a", "--to", "b", "--method", method, "--json")
    assert r.code == 0, r
    report = r.json()
    assert report["resumed"] and report["verified"]["ok"]
    assert (report["copied"], report["skipped"]) == (12_000, 0), report  # exact, nothing doubled
    assert count(dst, f"{unique_prefix}b:*") == 12_000
    assert staged([redis_server, target_server]) == 0
    assert not copying.checkpoint(home, "a", "b").exists()


@pytest.mark.parametrize("step", ["stage", "finalize"])
def test_resume_after_the_source_changed_leaves_no_staging(
    zen, home, redis_server, target_server, unique_prefix, step: str
) -> None:
    _config(home, redis_server, target_server, unique_prefix)
    fill(redis_server, unique_prefix + "a:", 12_000)
    with _crash_in(step):
        zen("storage", "copy", "--from", "a", "--to", "b", "--method", "migrate")
    assert staged([redis_server, target_server]) > 0  # the killed run left staged keys
    source = copying.client(redis_server)
    source.delete(*[f"{unique_prefix}a:k{i}" for i in range(0, 12_000, 3)])
    fill(redis_server, unique_prefix + "a:", 2_000, start=50_000)
    source.close()
    r = zen("storage", "copy", "--from", "a", "--to", "b", "--json")
    assert r.code in (0, 1), r  # keys written to the source mid-copy may be missed by SCAN
    assert staged([redis_server, target_server]) == 0
    if r.code:
        assert "missing at the target" in r.err and "copy again" in r.err
        r = zen("storage", "copy", "--from", "a", "--to", "b", "--json")
        assert r.code == 0, r
    assert r.json()["verified"]["ok"]
    assert staged([redis_server, target_server]) == 0


@pytest.mark.slow
def test_two_copies_of_one_pair_at_once_the_second_refuses(
    zen, home, redis_server, target_server, unique_prefix
) -> None:
    _config(home, redis_server, target_server, unique_prefix)
    fill(redis_server, unique_prefix + "a:", 100_000)
    first = copying.start_copy(home, "a", "b", "--method", "dump")
    copying.wait_for(first, lambda: count(target_server, f"{unique_prefix}b:k*") > 0)
    second = zen("storage", "copy", "--from", "a", "--to", "b")
    assert second.code == ExitCode.ERROR, second
    assert "another copy from a to b is running" in second.err
    assert "Traceback" not in second.err and "FileNotFoundError" not in second.err
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert json.loads(out)["verified"]["ok"]


@pytest.mark.slow
def test_ctrl_c_says_how_to_resume(home, redis_server, target_server, unique_prefix) -> None:
    _config(home, redis_server, target_server, unique_prefix)
    fill(redis_server, unique_prefix + "a:", 100_000)
    proc = copying.start_copy(home, "a", "b")
    copying.wait_for(proc, lambda: count(target_server, f"{unique_prefix}b:k*") >= 20_000)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    text = err.decode()
    assert "zen: interrupted" in text
    assert "zen storage copy --from a --to b" in text and "resume" in text
    done = copying.run_copy(home, "a", "b")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["resumed"] and report["verified"]["ok"]
    assert report["copied"] + report["skipped"] == 100_000 and report["skipped"] == 0
    assert staged([redis_server, target_server]) == 0


def test_an_unreadable_checkpoint_is_named(zen, home, redis_server, target_server, unique_prefix):
    _config(home, redis_server, target_server, unique_prefix)
    fill(redis_server, unique_prefix + "a:", 10)
    path = copying.checkpoint(home, "a", "b")
    path.write_text("{not json")
    r = zen("storage", "copy", "--from", "a", "--to", "b")
    assert r.code == ExitCode.ERROR
    assert str(path) in r.err and "--restart" in r.err
    r = zen("storage", "copy", "--from", "a", "--to", "b", "--restart", "--json")
    assert r.code == 0, r
    assert r.json()["copied"] == 10


def test_transfer_moves_data_through_the_store_interface() -> None:
    """No redis-py internals in the services: the fast path is the Redis adapter's."""
    transfer = ROOT / "zenconfig" / "transfer"
    for path in [transfer / "copy.py", *(transfer / "copying").rglob("*.py")]:
        text = path.read_text()
        for needle in ("connection_pool", "hasattr(store", '"client"', ".client.", "import redis"):
            assert needle not in text, f"{path.name} uses {needle}"


def test_restart_removes_what_the_interrupted_run_staged(
    zen, home, redis_server, target_server, unique_prefix
) -> None:
    _config(home, redis_server, target_server, unique_prefix)
    fill(redis_server, unique_prefix + "a:", 6_000)
    with _crash_in("stage", 2):
        zen("storage", "copy", "--from", "a", "--to", "b", "--method", "migrate")
    assert staged([redis_server, target_server]) > 0
    r = zen("storage", "copy", "--from", "a", "--to", "b", "--restart", "--json")
    assert r.code == 0, r
    report = r.json()
    assert not report["resumed"] and report["verified"]["ok"]
    assert report["copied"] + report["skipped"] == 6_000  # the first page was copied before
    assert staged([redis_server, target_server]) == 0


def test_a_checkpoint_that_is_a_symlink_is_not_followed(
    zen, home, redis_server, target_server, unique_prefix, tmp_path
) -> None:
    _config(home, redis_server, target_server, unique_prefix)
    secret = tmp_path / "elsewhere.json"
    secret.write_text('{"version": 2}')
    copying.checkpoint(home, "a", "b").symlink_to(secret)
    r = zen("storage", "copy", "--from", "a", "--to", "b")
    assert r.code == ExitCode.ERROR
    assert "symbolic link" in r.err and "--restart" in r.err
    assert secret.read_text() == '{"version": 2}'
