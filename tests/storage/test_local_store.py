"""The local store: the shared contract, the v2 operations, expiry, and its file."""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.storage.test_contract import StoreContract
from zenconfig import spec
from zenconfig.errors import ExitCode, StorageUnavailableError, WriteRefusedError, ZenConfigError
from zenconfig.storage import local
from zenconfig.storage.base import ThreadRecord, meta_key, turns_key


def thread(store, tool: str = "chat", ttl: int = 100, turns: int = 0) -> str:
    tid = uuid.uuid4().hex
    meta = {"thread_id": tid, "tool_name": tool, "created_at": "c", "last_updated_at": "c"}
    assert store.thread_create(tid, meta, ttl)
    for i in range(turns):
        assert store.thread_append(tid, f"t{i}", f"u{i}", ttl, 50) == i + 1
    return tid


class StoreContractV2:
    """Store protocol v2, backend-neutral: merge, the index, batches, ``set``.
    (To be folded into ``StoreContract`` once every store implements v2.)"""

    def test_set_without_ttl_keeps_the_key(self, store) -> None:
        store.setex("k", 50, "v1")
        store.set("k", "v2")
        assert (store.get("k"), store.ttl("k")) == ("v2", -1)
        store.set("k", "v3", ttl=30)
        assert store.get("k") == "v3" and 25 <= store.ttl("k") <= 30

    def test_merge_creates_then_appends_only_new_turns(self, store) -> None:
        tid = uuid.uuid4().hex
        first = store.thread_merge(tid, {"tool_name": "chat", "x": "1"}, ["a", "b"], 100, 10)
        assert (first.created, first.appended, first.refused, first.total) == (True, 2, 0, 2)
        again = store.thread_merge(tid, {"x": "2"}, ["a", "b", "c"], 100, 10)
        assert (again.created, again.appended, again.total) == (False, 1, 3)
        meta, turns = store.thread_read(tid)
        assert turns == ["a", "b", "c"]
        assert meta is not None and (meta["tool_name"], meta["x"]) == ("chat", "2")

    def test_merge_counts_repeats_and_never_removes(self, store) -> None:
        tid = uuid.uuid4().hex
        store.thread_merge(tid, {"tool_name": "chat"}, ["a", "a"], 100, 10)
        assert store.thread_merge(tid, {}, ["a", "a", "a"], 100, 10).appended == 1
        assert store.thread_merge(tid, {}, ["b"], 100, 10).appended == 1
        assert store.thread_read(tid)[1] == ["a", "a", "a", "b"]  # a shorter document removes none

    def test_merge_refreshes_expiry_and_refuses_past_max_turns_whole(self, store) -> None:
        tid = uuid.uuid4().hex
        store.thread_merge(tid, {"tool_name": "chat"}, ["a"], 20, 3)
        result = store.thread_merge(tid, {}, ["a", "b", "c"], 500, 3)
        assert (result.appended, result.refused, result.total) == (2, 0, 3)
        assert store.ttl(meta_key(tid)) > 400
        result = store.thread_merge(tid, {}, ["a", "b", "c", "d"], 900, 3)
        assert (result.appended, result.refused, result.total) == (0, 1, 3)
        assert store.ttl(meta_key(tid)) <= 500

    def test_list_is_newest_first_with_limit_since_and_tool(self, store) -> None:
        a, b = thread(store, "chat"), thread(store, "debug")
        time.sleep(0.02)
        cut = time.time()
        c = thread(store, "chat")
        time.sleep(0.02)
        store.thread_append(a, "turn", "later", 100, 10)
        assert [r.thread_id for r in store.thread_list()][:3] == [a, c, b]
        assert [r.thread_id for r in store.thread_list(limit=1)] == [a]
        assert {r.thread_id for r in store.thread_list(since=cut)} == {a, c}
        assert [r.thread_id for r in store.thread_list(tool="debug")] == [b]
        row = store.thread_list(limit=1)[0]
        assert (row.tool_name, row.turns, row.last_updated_at, row.problem) == (
            "chat",
            1,
            "later",
            None,
        )
        assert 95 <= row.ttl <= 100

    def test_count_export_import(self, store) -> None:
        ids = sorted(thread(store, turns=i) for i in range(5))
        assert store.thread_count() == 5
        batches = list(store.export_threads(batch=2))
        assert [len(b) for b in batches] == [2, 2, 1]
        records = {r.thread_id: r for b in batches for r in b}
        assert sorted(records) == ids
        assert all(len(r.turns) == int(r.turns[-1][1:]) + 1 for r in records.values() if r.turns)
        assert all(r.ttl is not None and 95 <= r.ttl <= 100 for r in records.values())
        fresh = ThreadRecord("new", {"tool_name": "t"}, ["x", "y"], None)
        changed = ThreadRecord(ids[0], {"tool_name": "t"}, ["z"], 50)
        assert store.import_threads([fresh, changed], replace=False) == ["imported", "skipped"]
        assert store.import_threads([changed], replace=True) == ["replaced"]
        assert store.thread_read(ids[0])[1] == ["z"]
        assert store.ttl(meta_key("new")) == -1 and store.thread_read("new")[1] == ["x", "y"]
        assert store.thread_count() == 6

    def test_expired_threads_are_never_returned(self, store) -> None:
        gone = thread(store, ttl=1, turns=2)
        kept = thread(store, ttl=100)
        time.sleep(1.3)
        assert store.thread_read(gone) == (None, [])
        assert [r.thread_id for r in store.thread_list()] == [kept]
        assert store.thread_count() == 1
        assert [r.thread_id for b in store.export_threads() for r in b] == [kept]
        assert store.thread_append(gone, "t", "u", 100, 10) == -1
        assert not store.exists(meta_key(gone)) and store.ttl(turns_key(gone)) == -2
        assert store.thread_create(gone, {"tool_name": "again"}, 100)  # the name is free again
        assert store.thread_read(gone)[1] == []

    def test_thread_keys_are_visible_to_scan_ttl_and_delete(self, store) -> None:
        tid = thread(store, turns=1)
        empty = thread(store)
        keys = set(store.scan("thread:*"))
        assert {meta_key(tid), turns_key(tid), meta_key(empty)} <= keys
        assert turns_key(empty) not in keys
        assert store.exists(turns_key(tid)) and 95 <= store.ttl(turns_key(tid)) <= 100
        assert store.delete(meta_key(tid), turns_key(tid)) == 2
        assert store.thread_read(tid) == (None, [])


class TestLocalStore(StoreContract, StoreContractV2):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[local.LocalStore]:
        yield local.open_store(spec.LocalSpec(path=str(tmp_path / "db" / "conv.db")))
        local.close_all()


# -- the file ------------------------------------------------------------------

NOBODY = 65534


def open_at(path: Path, **kwargs) -> local.LocalStore:
    return local.open_store(spec.LocalSpec(path=str(path)), **kwargs)


@pytest.fixture(autouse=True)
def closed() -> Iterator[None]:
    yield
    local.close_all()


def test_created_0600_in_a_0700_directory(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "conv.db"
    store = open_at(path)
    store.set("k", "v")
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert Path(f"{path}-wal").stat().st_mode & 0o777 == 0o600


def test_relative_path_is_beside_the_config(tmp_path: Path) -> None:
    store = local.open_store(spec.LocalSpec(path="conv.db"), tmp_path / "config.json")
    assert store.path == str(tmp_path / "conv.db")


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o770])
def test_refuses_a_directory_others_can_write(tmp_path: Path, mode: int) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    with pytest.raises(ZenConfigError) as e:
        open_at(shared / "conv.db")
    assert "directory can be written by others" in e.value.message
    assert e.value.where == str(shared)
    assert not (shared / "conv.db").exists()


def test_refuses_a_directory_of_someone_else(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    os.chown(theirs, NOBODY, NOBODY)
    with pytest.raises(ZenConfigError) as e:
        open_at(theirs / "conv.db")
    assert f"directory belongs to someone else (uid {NOBODY})" in e.value.message


def test_refuses_a_file_of_someone_else_and_one_others_can_write(tmp_path: Path) -> None:
    path = tmp_path / "conv.db"
    path.touch(mode=0o600)
    os.chown(path, NOBODY, NOBODY)
    with pytest.raises(ZenConfigError) as e:
        open_at(path)
    assert e.value.message == f"the local database belongs to someone else (uid {NOBODY})"
    os.chown(path, os.getuid(), os.getgid())
    path.chmod(0o666)
    with pytest.raises(ZenConfigError) as e:
        open_at(path)
    assert "can be written by others (mode 0666)" in e.value.message


def test_refuses_a_symlink_planted_by_someone_else(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.db"
    link = tmp_path / "conv.db"
    link.symlink_to(target)
    os.lchown(link, NOBODY, NOBODY)
    with pytest.raises(ZenConfigError) as e:
        open_at(link)
    assert f"symlink owned by someone else (uid {NOBODY})" in e.value.message
    assert e.value.where == str(link)
    assert not target.exists()


def test_follows_your_own_symlink_to_a_private_place(tmp_path: Path) -> None:
    (tmp_path / "disk").mkdir(mode=0o700)
    target = tmp_path / "disk" / "real.db"
    link = tmp_path / "conv.db"
    link.symlink_to(target)
    store = open_at(link)
    store.set("k", "v")
    assert store.path == str(target) and target.stat().st_mode & 0o777 == 0o600
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    other = tmp_path / "other.db"
    other.symlink_to(shared / "x.db")
    with pytest.raises(ZenConfigError) as e:
        open_at(other)
    assert "can be written by others" in e.value.message and e.value.where == str(shared)


def test_refuses_a_path_that_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(ZenConfigError) as e:
        open_at(tmp_path / "dir.db")
    assert "not a regular file" in e.value.message or "Is a directory" in e.value.message
    os.mkfifo(tmp_path / "fifo.db")
    with pytest.raises(ZenConfigError) as e:
        open_at(tmp_path / "fifo.db")
    assert e.value.message == "the local database is not a regular file"


def test_refuses_another_programs_database_and_a_newer_layout(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs.db"
    with sqlite3.connect(theirs) as conn:
        conn.execute("CREATE TABLE notes (x)")
    theirs.chmod(0o600)
    with pytest.raises(ZenConfigError) as e:
        open_at(theirs)
    assert e.value.message.startswith("not a zen conversations database")
    newer = tmp_path / "newer.db"
    open_at(newer).set("k", "v")
    local.close_all()
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(ZenConfigError) as e:
        open_at(newer)
    assert "layout version 99; this zenconfig knows up to 1" in e.value.message


def test_a_damaged_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "conv.db"
    path.write_bytes(b"this is not a database at all" * 200)
    path.chmod(0o600)
    with pytest.raises(ZenConfigError) as e:
        open_at(path)
    assert "damaged or is not a database" in e.value.message and e.value.where == str(path)
    assert "move it aside" in (e.value.hint or "")


def test_busy_beyond_the_timeout_is_unavailable_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "conv.db"
    store = open_at(path, busy_timeout=0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(StorageUnavailableError) as e:
            store.set("k", "v")
        assert time.monotonic() - started < 2.0
        assert "busy: another process held it for more than 0.2 s" in e.value.message
        assert e.value.where == str(path) and e.value.exit_code == ExitCode.STORAGE_UNREACHABLE
        assert store.get("k") is None  # readers are not blocked by the writer (WAL)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    store.set("k", "v")
    assert store.get("k") == "v"


def test_disk_full_refuses_the_write_whole(tmp_path: Path) -> None:
    store = open_at(tmp_path / "conv.db")
    tid = thread(store)
    pages = store.db.conn.execute("PRAGMA page_count").fetchone()[0]
    store.db.conn.execute(f"PRAGMA max_page_count = {pages + 4}")  # a full disk, as SQLite sees it
    with pytest.raises(WriteRefusedError) as e:
        for i in range(100):
            store.thread_append(tid, "x" * 6000 + str(i), "u", 100, 1000)
    assert "disk holding the local database is full; nothing was written" in e.value.message
    meta, turns = store.thread_read(tid)
    assert meta is not None and len(turns) == store.thread_list()[0].turns
    assert all(t.startswith("x" * 6000) for t in turns)


def test_expired_rows_are_removed_a_few_at_a_time(tmp_path: Path) -> None:
    from zenconfig.storage import local_store

    store = open_at(tmp_path / "conv.db")
    for _ in range(local_store.PURGE_BATCH * 2 + 10):
        thread(store, ttl=1, turns=1)
    time.sleep(1.2)
    raw = store.db.conn

    def rows() -> int:
        return raw.execute("SELECT count(*) FROM threads").fetchone()[0]

    before = rows()
    store._writes = 0
    store.set("k", "v")  # a write that purges
    assert rows() == before - local_store.PURGE_BATCH
    for _ in range(local_store.PURGE_EVERY - 1):
        store.set("k", "v")  # writes that do not
    assert rows() == before - local_store.PURGE_BATCH
    store.set("k", "v")
    assert rows() == before - 2 * local_store.PURGE_BATCH
    assert raw.execute("SELECT count(*) FROM turns").fetchone()[0] == rows()


def test_listing_walks_an_index_newest_first(tmp_path: Path) -> None:
    """The statements thread_list runs are planned as index walks with no sort:
    O(limit), however many threads the database holds."""
    store = open_at(tmp_path / "conv.db")
    thread(store)
    conn = store.db.conn
    for kwargs in ({}, {"tool": "chat"}, {"since": 5.0}, {"tool": "chat", "since": 5.0}):
        seen: list[str] = []
        conn.set_trace_callback(seen.append)
        try:
            assert len(store.thread_list(limit=5, **kwargs)) == 1
        finally:
            conn.set_trace_callback(None)
        (query,) = [q for q in seen if q.startswith("SELECT")]
        plan = " ".join(str(row[-1]) for row in conn.execute("EXPLAIN QUERY PLAN " + query))
        assert "USING INDEX threads_by_" in plan and "TEMP B-TREE" not in plan, plan


# -- doctor findings and the runtime ---------------------------------------------


def test_doctor_findings(tmp_path: Path) -> None:
    from zenconfig.storage.local_doctor import check_database

    path = tmp_path / "d" / "conv.db"
    found = check_database(spec.LocalSpec(path=str(path)))
    assert [(f.status, f.detail) for f in found] == [
        ("ok", f"{path} does not exist yet (created 0600 at first use)")
    ]
    assert not path.exists()
    thread(open_at(path), turns=2)
    by_check = {f.check: f for f in check_database(spec.LocalSpec(path=str(path)))}
    assert by_check["local database"].status == "ok"
    assert "layout 1, 1 thread rows" in by_check["local database"].detail
    assert by_check["local database integrity"].detail == "PRAGMA integrity_check: ok"
    assert (
        by_check["local database journal"].status,
        by_check["local database journal"].detail,
    ) == (
        "ok",
        "WAL",
    )
    path.chmod(0o644)
    statuses = [f.status for f in check_database(spec.LocalSpec(path=str(path)))]
    assert statuses.count("warn") == 1 and "fail" not in statuses


def test_doctor_fails_a_damaged_or_refused_database(tmp_path: Path) -> None:
    from zenconfig.storage.local_doctor import check_database

    path = tmp_path / "conv.db"
    path.write_bytes(b"garbage" * 1000)
    path.chmod(0o600)
    found = check_database(spec.LocalSpec(path=str(path)))
    assert found[-1].status == "fail" and "damaged or is not a database" in found[-1].detail
    os.chown(path, NOBODY, NOBODY)
    (only,) = check_database(spec.LocalSpec(path=str(path)))
    assert only.status == "fail" and "belongs to someone else" in only.detail


def test_damaged_pages_fail_the_integrity_check(tmp_path: Path) -> None:
    from zenconfig.storage.local_doctor import check_database

    path = tmp_path / "conv.db"
    store = open_at(path)
    for _ in range(30):
        thread(store, turns=5)
    store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    local.close_all()
    data = bytearray(path.read_bytes())
    page = 4096
    for at in range(3 * page + 100, len(data), page):  # scribble inside every page after the third
        data[at : at + 40] = b"\xff" * 40
    path.write_bytes(bytes(data))
    by_check = {f.check: f for f in check_database(spec.LocalSpec(path=str(path)))}
    assert by_check["local database integrity"].status == "fail"


def test_zen_drop_in_backend_and_conversations_on_local(home: Path, monkeypatch) -> None:
    from zenconfig import ConversationStore, get_storage_backend

    monkeypatch.setenv("ZEN_STORAGE_TYPE", "local")
    backend = get_storage_backend()
    assert backend.kind == "local" and backend.selection.detail == "ZEN_STORAGE_TYPE=local"
    backend.setex("thread:abc", 60, '{"x": 1}')
    assert backend.get("thread:abc") == '{"x": 1}'
    conv = ConversationStore(backend)
    tid = conv.create_thread("chat", {"a": 1})
    assert conv.add_turn(tid, "user", "héllo \x1b[31m")
    got = conv.get_thread(tid)
    assert got is not None and got.turns[0].content == "héllo \x1b[31m"
    assert got.initial_context == {"a": 1}
    assert [s.thread_id for s in conv.list_threads()] == [tid]
    assert conv.delete_thread(tid) and conv.get_thread(tid) is None


def test_storage_commands_on_the_local_store(zen) -> None:
    assert zen("config", "init").code == 0 and zen("config", "use", "--local").code == 0
    lines = (
        '{"thread_id":"t1","ttl":null,"meta":{"thread_id":"t1","tool_name":"chat",'
        '"created_at":"a","last_updated_at":"b"},"turns":[{"role":"user","content":"hi"}]}\n'
    )
    r = zen("storage", "import", "-", input=lines)
    assert r.code == 0, r
    stats = zen("storage", "stats", "--json")
    assert stats.code == 0 and stats.json()[0]["threads"] == 1 and stats.json()[0]["turns"] == 1
    assert zen("storage", "show", "t1").code == 0
    assert '"content": "hi"' in zen("storage", "export").out.replace('":"', '": "')


def test_thread_keys_hold_no_text_value(tmp_path: Path) -> None:
    store = open_at(tmp_path / "conv.db")
    tid = thread(store)
    assert store.get(meta_key(tid)) is None
    with pytest.raises(ZenConfigError) as e:
        store.set(meta_key("x\x1b[2J"), "v")
    assert e.value.message == (
        "'thread:{x\\x1b[2J}:meta' is a thread's key; threads are written with the thread "
        "operations"
    )


def test_schema_steps_cover_every_version_and_an_empty_file_is_migrated(tmp_path: Path) -> None:
    from zenconfig.storage import local_schema

    assert sorted(local_schema.STEPS) == list(range(local_schema.CURRENT))
    path = tmp_path / "conv.db"
    path.touch(mode=0o600)  # what a crash right after creating the file leaves
    open_at(path).set("k", "v")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (local_schema.CURRENT,)
        assert conn.execute("PRAGMA application_id").fetchone() == (local_schema.APPLICATION_ID,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_threads_of_one_process_share_the_connection(tmp_path: Path) -> None:
    import threading

    store = open_at(tmp_path / "conv.db")
    tid = thread(store)
    results: list[int] = []

    def work() -> None:
        results.extend(store.thread_append(tid, "t", "u", 100, 1000) for _ in range(50))

    workers = [threading.Thread(target=work) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(results) == list(range(1, 401))


def test_a_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    """Even when another thread holds the store's lock at the fork."""
    import signal
    import threading

    store = open_at(tmp_path / "conv.db")
    tid = thread(store, turns=1)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.db.lock:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    pid = os.fork()
    if pid == 0:  # the child: use the inherited store, then leave without cleanup
        signal.alarm(10)  # a deadlock ends the child instead of the test run
        code = 0 if store.thread_append(tid, "from child", "u", 100, 10) == 2 else 1
        os._exit(code)
    release.set()
    holder.join()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.thread_append(tid, "from parent", "u", 100, 10) == 3
    assert store.thread_read(tid)[1] == ["t0", "from child", "from parent"]


def test_a_refused_path_is_a_clear_cli_error(zen, home: Path) -> None:
    shared = home / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    config = home / ".zen-cli" / "config.json"
    config.parent.mkdir(mode=0o700)
    config.write_text(
        '{"version": 1, "storage": {"type": "local", "local": {"path": "%s"}}}' % (shared / "c.db")
    )
    r = zen("storage", "threads")
    assert r.code == 1
    assert r.err == (
        "zen: error: the local database's directory can be written by others (mode 0777) "
        f"({shared})\nhint: run: chmod 700 '{shared}', or choose a path in a directory of your "
        "own for storage.local.path\n"
    )


def test_switching_a_new_file_to_wal_waits_for_another_writer(tmp_path: Path) -> None:
    """A new file is switched to WAL by whichever opener comes first; while
    another connection holds the write lock, SQLite answers the switch with
    'busy' at once (waiting could deadlock), so the store tries again, up to
    the busy timeout."""
    import threading

    path = tmp_path / "conv.db"
    path.touch(mode=0o600)
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE other_opener (x)")  # e.g. another process mid-way
    threading.Timer(0.3, lambda: writer.execute("ROLLBACK")).start()
    started = time.monotonic()
    store = open_at(path, busy_timeout=5.0)
    assert 0.25 <= time.monotonic() - started < 4.0
    store.set("k", "v")
    writer.close()
    path2 = tmp_path / "conv2.db"
    path2.touch(mode=0o600)
    holder = sqlite3.connect(path2, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(StorageUnavailableError) as e:
        open_at(path2, busy_timeout=0.3)
    assert 0.25 <= time.monotonic() - started < 2.0
    assert "busy: another process held it for more than 0.3 s" in e.value.message
    holder.close()
