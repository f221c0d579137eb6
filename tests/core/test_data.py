"""zenconfig.core.data: which store a data command opens (never the in-memory fallback),
thread look-up, stats of every project, export/import and the copy endpoints, on a real
redis-server and the local store."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import servers
from zenconfig import ConversationStore, open_storage
from zenconfig import runtime as factory
from zenconfig.core import Context
from zenconfig.core import data as core
from zenconfig.errors import (
    ExitCode,
    StorageUnavailableError,
    UnknownProjectError,
    UsageError,
    ZenConfigError,
)


@pytest.fixture
def projects(
    write_config: Callable[..., Path],
    config_file: Path,
    redis_server: servers.Server,
    unique_prefix: str,
) -> Context:
    """'up' on the session server (the default), 'copy' beside it, 'down' where nothing listens;
    the file's fallback is memory, which data commands must not use."""
    write_config(
        {
            "up": {"port": redis_server.port, "key_prefix": unique_prefix + "up:"},
            "copy": {"port": redis_server.port, "key_prefix": unique_prefix + "copy:"},
            "down": {"port": servers.free_port()},
        },
        default="up",
    )
    return Context(config_file)


def test_a_data_command_opens_the_project_or_fails(projects: Context) -> None:
    store = core.open_store(projects)
    assert (store.name, store.selection.project, store.selection.source) == ("up", "up", "config")
    assert not getattr(store, "degraded", False)
    with pytest.raises(StorageUnavailableError) as caught:
        core.open_store(projects, "down")
    assert caught.value.exit_code is ExitCode.STORAGE_UNREACHABLE
    assert caught.value.message.startswith("Redis for project 'down' is unreachable")
    assert caught.value.hint == (
        "data commands never use the in-memory fallback; check it with: "
        "zen config test-connection down"
    )
    memory = Context(projects.config_path, memory=True)
    assert core.open_store(memory).name == "memory"
    assert core.open_store(memory, "up").name == "up"  # a named project beats --memory
    local = core.open_store(Context(projects.config_path, local=True))
    assert local.name == "local"


def test_a_thread_is_found_or_named_as_missing(projects: Context) -> None:
    conversations = ConversationStore(open_storage("up"))
    tid = conversations.create_thread("chat", {"prompt": "hi"})
    conversations.add_turn(tid, "user", "2+2?")
    factory.reset()
    found = core.thread(projects, tid)
    assert [(t.role, t.content) for t in found.turns] == [("user", "2+2?")]
    with pytest.raises(ZenConfigError) as caught:
        core.thread(projects, tid, "copy")  # another project's prefix: not there
    assert caught.value.message == f"no thread '{tid}' in copy (expired or never stored)"
    assert caught.value.hint == "list them with: zen storage threads"
    with pytest.raises(ZenConfigError) as odd:
        core.thread(projects, "x\x1b[2Jy")
    assert "\x1b" not in odd.value.message and odd.value.message.startswith("no thread 'x")


def test_stats_of_every_project_names_the_unreachable_one(projects: Context) -> None:
    ConversationStore(open_storage("up")).create_thread("chat", {})
    factory.reset()
    rows = core.stats(projects, every=True, exact=True)
    assert [row["project"] for row in rows] == ["copy", "down", "up"]
    copy, down, up = rows
    assert (copy["threads"], up["threads"]) == (0, 1)
    assert down["exit_code"] == ExitCode.STORAGE_UNREACHABLE
    assert down["error"].startswith("Redis for project 'down' is unreachable")
    assert [row["project"] for row in core.stats(projects, exact=True)] == ["up"]


def test_export_then_import_into_another_project(projects: Context, tmp_path: Path) -> None:
    conversations = ConversationStore(open_storage("up"))
    ids = {conversations.create_thread("chat", {"n": n}) for n in range(3)}
    factory.reset()
    target = tmp_path / "out.jsonl"
    assert core.export(projects, target, io.BytesIO()) == ("up", 3)
    assert len(target.read_bytes().splitlines()) == 3
    assert target.stat().st_mode & 0o777 == 0o600
    buffer = io.BytesIO()
    assert core.export(projects, None, buffer, "up") == ("up", 3)
    assert sorted(buffer.getvalue().splitlines()) == sorted(target.read_bytes().splitlines())
    name, report = core.import_(projects, target, io.BytesIO(), "copy")
    assert (name, report.imported, report.skipped, report.ok) == ("copy", 3, 0, True)
    again = core.import_(projects, None, io.BytesIO(target.read_bytes()), "copy")[1]
    assert (again.imported, again.skipped) == (0, 3)  # existing threads are kept
    assert {row.thread_id for row in core.open_store(projects, "copy").thread_list(10)} == ids


def test_a_missing_import_file_is_named_before_the_store_is_opened(
    projects: Context, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(ZenConfigError) as caught:
        core.import_(projects, missing, io.BytesIO(), "down")  # unreachable: never tried
    assert caught.value.exit_code is ExitCode.ERROR
    assert str(caught.value) == f"the import file does not exist ({missing})"


def test_copy_endpoints_and_their_checkpoint(projects: Context, home: Path) -> None:
    with pytest.raises(UsageError, match="--from and --to name the same store"):
        core.copy(projects, "up", "up")
    with pytest.raises(UsageError) as caught:
        core.copy(projects, "up", "@elsewhere")
    assert caught.value.message == "unknown endpoint '@elsewhere'"
    assert caught.value.hint == "the local store is '@local'; other names are projects"
    for source, target, flag in (("nosuch", "up", "--from"), ("up", "nosuch", "--to")):
        with pytest.raises(UnknownProjectError) as unknown:
            core.copy(projects, source, target)
        assert str(unknown.value) == f"unknown project 'nosuch' ({flag} nosuch)"  # as given
    checkpoint = core.checkpoint_path(projects, "up", core.LOCAL_ENDPOINT)
    assert checkpoint == projects.config_path.parent / "copy-up-to-@local.checkpoint"
    tid = ConversationStore(open_storage("up")).create_thread("chat", {"k": "v"})
    factory.reset()
    report = core.copy(projects, "up", core.LOCAL_ENDPOINT)
    assert (report.source, report.target) == ("up", "local")
    meta, _ = open_storage(local=True).thread_read(tid)
    assert meta is not None and meta["tool_name"] == "chat"
    assert not checkpoint.exists()  # removed at the end of the run
