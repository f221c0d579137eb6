"""zen storage copy between standalone and Sentinel projects: which server is which,
TLS, conflicts and what verification compares, bytes of any prefix."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests import servers
from tests.storage import copying
from tests.storage.copying import count, fill, staged
from tests.storage.faults import sentinel_project
from zenconfig import ConversationStore, open_storage
from zenconfig.errors import ExitCode


@pytest.fixture(scope="module")
def other_server(tmp_path_factory):
    server = servers.start(tmp_path_factory.mktemp("copy-other"))
    yield server
    server.stop()


def test_localhost_and_127_0_0_1_are_one_server(zen, home, redis_server, unique_prefix) -> None:
    port = redis_server.port
    copying.write_config(
        home,
        {
            "a": {"host": "localhost", "port": port, "key_prefix": unique_prefix + "a:"},
            "b": {"host": "127.0.0.1", "port": port, "key_prefix": unique_prefix + "b:"},
        },
    )
    fill(redis_server, unique_prefix + "a:", 500)
    r = zen("storage", "copy", "--from", "a", "--to", "b", "--json")
    assert r.code == 0, r
    report = r.json()
    assert report["method"] == "copy" and report["copied"] == 500 and report["verified"]["ok"]
    r = zen("storage", "copy", "--from", "a", "--to", "b", "--method", "migrate")
    assert r.code == ExitCode.USAGE
    assert "one server" in r.err and "MIGRATE to itself" in r.err
    assert staged([redis_server]) == 0


def test_one_server_another_database_copies_with_copy_db(
    zen, home, redis_server, unique_prefix
) -> None:
    copying.write_config(
        home,
        {
            "a": {"host": "127.1", "port": redis_server.port, "key_prefix": unique_prefix + "a:"},
            "b": {"port": redis_server.port, "db": 3, "key_prefix": unique_prefix + "b:"},
        },
    )
    fill(redis_server, unique_prefix + "a:", 300)
    r = zen("storage", "copy", "--from", "a", "--to", "b", "--json")
    assert r.code == 0, r
    assert r.json()["method"] == "copy" and r.json()["verified"]["ok"]
    assert redis_server.cli("-n", "3", "GET", f"{unique_prefix}b:k7") == "value-7-" + "x" * 100
    assert count(redis_server, f"{unique_prefix}b:*") == 0  # nothing in database 0


def test_skip_keeps_a_differing_key_and_verification_still_passes(
    zen, home, redis_server, other_server, unique_prefix
) -> None:
    copying.write_config(
        home,
        {
            "a": {"port": redis_server.port, "key_prefix": unique_prefix + "a:"},
            "b": {"port": other_server.port, "key_prefix": unique_prefix + "b:"},
        },
    )
    fill(redis_server, unique_prefix + "a:", 50)
    other_server.cli("SET", f"{unique_prefix}b:k0", "already here")
    for _ in range(2):  # a second run skips everything and still verifies
        r = zen("storage", "copy", "--from", "a", "--to", "b", "--json")
        assert r.code == 0, r
        report = r.json()
        assert report["verified"]["ok"]
        assert report["conflicts"]["differing"] >= 1
        assert "--on-conflict replace" in r.err
    assert report["copied"] == 0 and report["skipped"] == 50
    assert other_server.cli("GET", f"{unique_prefix}b:k0") == "already here"
    r = zen("storage", "copy", "--from", "a", "--to", "b", "--on-conflict", "replace", "--json")
    assert r.code == 0 and r.json()["replaced"] == 50
    assert other_server.cli("GET", f"{unique_prefix}b:k0") == "value-0"


def test_the_verification_sample_is_drawn_from_the_whole_run() -> None:
    from zenconfig.transfer.copying.report import Reservoir

    reservoir = Reservoir(100, random.Random(1))
    for i in range(10_000):
        reservoir.offer((str(i).encode(), b""))
    picked = sorted(int(k) for k, _ in reservoir.items)
    assert len(picked) == 100 and picked[-1] > 5_000 and picked[0] < 5_000
    again = Reservoir.load(reservoir.dump(), 100)  # kept in the checkpoint across a resume
    assert again.items == reservoir.items and again.seen == 10_000


def test_tls_is_detected_from_the_project(zen, home, redis_server, tls_server, unique_prefix):
    server, certs, _ = tls_server
    copying.write_config(
        home,
        {
            "a": {"port": redis_server.port, "key_prefix": unique_prefix + "a:"},
            "t": {
                "port": server.port,
                "key_prefix": unique_prefix + "t:",
                "tls": {"enabled": True, "ca_file": certs["ca"]},
            },
        },
    )
    fill(redis_server, unique_prefix + "a:", 200)
    r = zen("storage", "copy", "--from", "a", "--to", "t", "--json")
    assert r.code == 0, r
    assert r.json()["method"] == "dump" and r.json()["verified"]["ok"]
    r = zen("storage", "copy", "--from", "a", "--to", "t", "--method", "migrate")
    assert r.code == ExitCode.USAGE and "without TLS" in r.err


PREFIXES = ["zen:проект*?[x]\\:", "zen:目标:", "zen:ü{x}:"]  # glob characters are literal


@pytest.mark.parametrize("method", ["copy", "migrate", "dump"])
def test_any_unicode_prefix_and_thread_id_is_copied_byte_for_byte(
    zen, home, redis_server, other_server, method: str
) -> None:
    dst = redis_server if method == "copy" else other_server
    source, target = PREFIXES[0] + method + ":", PREFIXES[1 + (method == "dump")] + method + ":"
    copying.write_config(
        home,
        {"a": {"port": redis_server.port, "key_prefix": source},
         "b": {"port": dst.port, "key_prefix": target}},
    )  # fmt: skip
    raw = copying.client(redis_server)
    decoy = "zen:проектZZQx\\:decoy"  # matches the source prefix read as a pattern
    try:
        conversations = ConversationStore(open_storage("a"))
        ids = ["тред-1", "スレッド", "emoji-🙂", "a{b}c"]
        for tid in ids:
            conversations.create_thread("chat", thread_id=tid)
            conversations.add_turn(tid, "user", f"привет {tid}")
        raw.set(source.encode() + b"bytes-\xff\xfe", b"\x00\x01")
        raw.set(decoy, "not the project's")
        r = zen("storage", "copy", "--from", "a", "--to", "b", "--method", method, "--json")
        assert r.code == 0, r
        assert r.json()["verified"]["ok"]
        assert r.json()["copied"] == 2 * len(ids) + 2 + 1  # threads, the index, the bytes key
        copied = ConversationStore(open_storage("b"))
        for tid in ids:
            thread = copied.get_thread(tid)
            assert thread is not None and thread.turns[0].content == f"привет {tid}"
        assert copying.client(dst).get(target.encode() + b"bytes-\xff\xfe") == b"\x00\x01"
        assert staged([redis_server, other_server]) == 0
    finally:  # the session's servers are shared: leave no name that is not UTF-8
        raw.delete(decoy)
        for server, prefix in ((redis_server, source), (dst, target)):
            client = copying.client(server)
            names = list(client.scan_iter(match=glob(prefix) + b"*"))
            if names:
                client.delete(*names)
            client.close()
        raw.close()


def glob(prefix: str) -> bytes:
    from zenconfig.storage.redis.slots import glob_escape

    return glob_escape(prefix.encode())


def test_sentinel_projects_are_copy_endpoints(
    zen, home, redis_server, watched, unique_prefix
) -> None:
    master, sentinel = watched
    copying.write_config(
        home,
        {
            "a": {"port": redis_server.port, "key_prefix": unique_prefix + "a:"},
            "s": {**sentinel_project([sentinel.port]), "key_prefix": unique_prefix + "s:"},
            "m": {"host": "localhost", "port": master.port, "key_prefix": unique_prefix + "m:"},
        },
    )
    fill(redis_server, unique_prefix + "a:", 2_000)
    r = zen("storage", "copy", "--from", "a", "--to", "s", "--method", "migrate", "--json")
    assert r.code == 0, r
    assert r.json()["method"] == "migrate" and r.json()["verified"]["ok"]  # to the master
    assert count(master, f"{unique_prefix}s:*") == 2_000
    # the Sentinel's master is the server a standalone project names: one server
    r = zen("storage", "copy", "--from", "s", "--to", "m", "--json")
    assert r.code == 0, r
    assert r.json()["method"] == "copy" and r.json()["copied"] == 2_000
    r = zen("storage", "copy", "--from", "s", "--to", "a", "--on-conflict", "replace", "--json")
    assert r.code == 0 and r.json()["method"] == "dump" and r.json()["verified"]["ok"]
    assert r.json()["replaced"] == 2_000
    assert staged([master, redis_server]) == 0


def test_memory_and_unknown_endpoints_are_refused(zen, home, redis_server, tmp_path: Path) -> None:
    copying.write_config(home, {"a": {"port": redis_server.port}})
    r = zen("storage", "copy", "--from", "@nowhere", "--to", "a")
    assert r.code == ExitCode.USAGE and "@local" in r.err
    r = zen("storage", "copy", "--from", "a", "--to", "nope")
    assert r.code == ExitCode.ERROR and "unknown project 'nope'" in r.err


def test_an_acl_that_refuses_staging_on_the_source_falls_back_to_dump(
    zen, home, redis_server, auth_server, unique_prefix, monkeypatch
) -> None:
    """MIGRATE stages on the source server; a user kept to its own prefix may not
    write there, so the copy goes on through this process. Into an ACL'd project,
    MIGRATE logs in as the target's user."""
    monkeypatch.setenv("ALICE_PW", "alice-pw")
    alice = {
        "port": auth_server.port,
        "username": "alice",
        "password": {"source": "env", "env": "ALICE_PW"},
    }
    copying.write_config(
        home,
        {
            "a": {**alice, "key_prefix": f"zen:alice:{unique_prefix}a:"},
            "b": {"port": redis_server.port, "key_prefix": unique_prefix + "b:"},
            "c": {**alice, "key_prefix": f"zen:alice:{unique_prefix}c:"},
        },
    )
    source = copying.client(redis_server)
    for i in range(300):
        source.set(f"{unique_prefix}b:k{i}", f"v{i}", ex=900)
    r = zen("storage", "copy", "--from", "b", "--to", "c", "--method", "migrate", "--json")
    assert r.code == 0, r
    assert r.json()["method"] == "migrate" and r.json()["verified"]["ok"]
    assert r.json()["copied"] == 300
    r = zen("storage", "copy", "--from", "c", "--to", "b", "--method", "migrate")
    assert r.code == 0, r  # c's keys are b's already: all kept
    copying.write_config(
        home,
        {
            "a": {**alice, "key_prefix": f"zen:alice:{unique_prefix}a:"},
            "c": {**alice, "key_prefix": f"zen:alice:{unique_prefix}c:"},
            "d": {"port": redis_server.port, "key_prefix": unique_prefix + "d:"},
        },
    )
    r = zen("storage", "copy", "--from", "c", "--to", "d", "--method", "migrate", "--json")
    assert r.code == 0, r
    report = r.json()
    assert report["method"] == "dump" and report["verified"]["ok"] and report["copied"] == 300
    assert any("migrate refused" in note for note in report["notes"]), report["notes"]
    assert "copied through this process" in r.err
    assert staged([redis_server, auth_server]) == 0
    source.close()


def test_copying_into_a_project_with_threads_keeps_one_index(
    zen, home, redis_server, other_server, unique_prefix
) -> None:
    copying.write_config(
        home,
        {
            "a": {"port": redis_server.port, "key_prefix": unique_prefix + "a:"},
            "b": {"port": other_server.port, "key_prefix": unique_prefix + "b:"},
        },
    )
    mine = ConversationStore(open_storage("a"))
    theirs = ConversationStore(open_storage("b"))
    a_ids = [mine.create_thread("chat") for _ in range(5)]
    b_ids = [theirs.create_thread("review") for _ in range(3)]
    r = zen("storage", "copy", "--from", "a", "--to", "b", "--json")
    assert r.code == 0, r
    assert any("thread index of b was rebuilt" in note for note in r.json()["notes"])
    listed = {row.thread_id for row in open_storage("b").thread_list(limit=50)}
    assert listed == set(a_ids) | set(b_ids)
    assert open_storage("b").thread_count() == 8
