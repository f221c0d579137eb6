"""zen config test-connection and doctor, against real servers: each failure kind
with its message and exit code."""

from __future__ import annotations

import time

import pytest

from tests import servers
from zenconfig.errors import ExitCode


def _run(zen, *args: str):
    return zen("config", "test-connection", *args)


def test_all_stages_pass(zen, write_config, redis_server, unique_prefix) -> None:
    write_config({"p": {"port": redis_server.port, "key_prefix": unique_prefix}}, default="p")
    r = _run(zen, "--json")
    assert r.code == 0, r
    [report] = r.json()
    assert [s["name"] for s in report["stages"]] == [
        "password",
        "resolve",
        "connect",
        "auth",
        "select",
        "ping",
        "probe",
    ]
    assert all(s["ok"] for s in report["stages"])
    assert report["server"]["version"].startswith("7.")
    assert report["server"]["role"] == "master"
    assert float(report["server"]["latency_ms"]) > 0
    assert redis_server.cli("--scan", "--pattern", unique_prefix + "*") == ""  # probe deleted
    text = _run(zen).out
    assert text.startswith(f"p (127.0.0.1:{redis_server.port}/0): ok\n")


def _failure(zen, project: str, *extra: str) -> tuple[int, dict, str]:
    r = _run(zen, project, "--json", *extra)
    [report] = r.json()
    failed = [s for s in report["stages"] if not s["ok"]]
    assert len(failed) == 1 and report["stages"][-1] == failed[0]  # stopped there
    return r.code, failed[0], _run(zen, project, *extra).out


def test_connection_refused(zen, write_config) -> None:
    write_config({"p": {"port": servers.free_port()}})
    code, stage, text = _failure(zen, "p")
    assert (code, stage["name"]) == (ExitCode.STORAGE_UNREACHABLE, "connect")
    assert stage["detail"].startswith("connection refused by 127.0.0.1:")
    assert "FAILED at connect" in text


def test_timeout(zen, write_config) -> None:
    with servers.unanswering_listener() as port:
        write_config({"p": {"port": port}})
        code, stage, _ = _failure(zen, "p", "--timeout", "0.3")
    assert (code, stage["name"]) == (ExitCode.STORAGE_UNREACHABLE, "connect")
    assert stage["detail"] == f"no answer from 127.0.0.1:{port} within 0.3s (timeout)"


def test_a_server_that_accepts_and_never_answers_fails_at_auth(zen, write_config) -> None:
    """The TCP connect succeeded (its stage says ok): the first command got no answer."""
    from tests.storage.faults import hanging_listener

    with hanging_listener() as port:
        write_config({"p": {"port": port}})
        code, stage, text = _failure(zen, "p", "--timeout", "0.3")
    assert (code, stage["name"]) == (ExitCode.STORAGE_UNREACHABLE, "auth")
    assert "FAILED at auth" in text
    assert text.count("connect ") == 1  # one connect row, and it passed
    assert stage["seconds"] >= 0.3  # the time it waited, not 0


def test_bad_host_name(zen, write_config) -> None:
    write_config({"p": {"host": "a..b"}})
    code, stage, _ = _failure(zen, "p")
    assert (code, stage["name"]) == (ExitCode.STORAGE_UNREACHABLE, "resolve")
    assert stage["detail"].startswith("cannot resolve host 'a..b'")


def test_wrong_password(zen, write_config, auth_server, monkeypatch) -> None:
    monkeypatch.setenv("PW", "not-it")
    write_config({"p": {"port": auth_server.port, "password": {"source": "env", "env": "PW"}}})
    code, stage, text = _failure(zen, "p")
    assert (code, stage["name"]) == (ExitCode.STORAGE_UNREACHABLE, "auth")
    assert stage["detail"].startswith("Redis refused the credentials of project 'p': ")
    assert "not-it" not in text


def test_missing_password(zen, write_config, auth_server) -> None:
    write_config({"p": {"port": auth_server.port}})
    _, stage, _ = _failure(zen, "p")
    assert stage["detail"] == "Redis for project 'p' requires a password and the project has none"


def test_acl_noperm_on_the_probe(zen, write_config, auth_server, monkeypatch) -> None:
    monkeypatch.setenv("PW", "alice-pw")
    write_config(
        {
            "p": {
                "port": auth_server.port,
                "username": "alice",
                "key_prefix": "zen:bob:",
                "password": {"source": "env", "env": "PW"},
            }
        }
    )
    code, stage, _ = _failure(zen, "p")
    assert (code, stage["name"]) == (ExitCode.STORAGE_UNREACHABLE, "probe")
    assert stage["detail"].startswith("the Redis ACL denies project 'p' (prefix 'zen:bob:'): ")


def test_tls_verification_failure(zen, write_config, tls_server) -> None:
    server, _, other = tls_server
    write_config({"p": {"port": server.port, "tls": {"enabled": True, "ca_file": other["ca"]}}})
    code, stage, _ = _failure(zen, "p")
    assert (code, stage["name"]) == (ExitCode.STORAGE_UNREACHABLE, "tls")
    assert stage["detail"].startswith("TLS verification of the Redis server failed for project 'p'")


@pytest.mark.parametrize("kind", ["missing", "not PEM", "a directory"])
def test_a_tls_file_that_cannot_be_used_is_the_configs_fault(
    zen, write_config, tls_server, tmp_path, kind: str
) -> None:
    """Not 'unreachable' (which would send the runtime to memory): exit 3, the dotted key."""
    from zenconfig import open_storage
    from zenconfig.errors import ConfigError

    server, _, _ = tls_server
    path = tmp_path / "ca.pem"
    if kind == "not PEM":
        path.write_text("garbage\n")
    elif kind == "a directory":
        path.mkdir()
    write_config({"p": {"port": server.port, "tls": {"enabled": True, "ca_file": str(path)}}}, "p")
    code, stage, _ = _failure(zen, "p")
    assert (code, stage["name"]) == (ExitCode.INVALID_CONFIG, "tls")
    assert stage["detail"].startswith(
        f"storage.redis.connections.p.tls.ca_file: cannot use '{path}'"
    )
    with pytest.raises(ConfigError) as caught:  # the runtime: an error, never memory
        open_storage()
    assert caught.value.exit_code == ExitCode.INVALID_CONFIG
    r = zen("storage", "threads")
    assert r.code == ExitCode.INVALID_CONFIG
    assert "tls.ca_file: cannot use" in r.err


def test_tls_success_names_the_protocol(zen, write_config, tls_server) -> None:
    server, certs, _ = tls_server
    write_config({"p": {"port": server.port, "tls": {"enabled": True, "ca_file": certs["ca"]}}})
    r = _run(zen, "p", "--json")
    assert r.code == 0, r
    tls = next(s for s in r.json()[0]["stages"] if s["name"] == "tls")
    assert tls["detail"].startswith("TLSv1.")


def test_wrong_db_index(zen, write_config, server_dir) -> None:
    small = servers.start(server_dir / "small", conf="databases 4\n")
    try:
        write_config({"p": {"port": small.port, "db": 9}})
        code, stage, _ = _failure(zen, "p")
    finally:
        small.stop()
    assert (code, stage["name"]) == (ExitCode.STORAGE_UNREACHABLE, "select")
    assert stage["detail"].startswith("Redis for project 'p' has no database 9 (SELECT failed")


def test_password_source_unavailable_is_exit_5(zen, write_config, redis_server) -> None:
    write_config(
        {"p": {"port": redis_server.port, "password": {"source": "env", "env": "UNSET_PW"}}}
    )
    code, stage, _ = _failure(zen, "p")
    assert (code, stage["name"]) == (ExitCode.KEYRING_UNAVAILABLE, "password")
    assert "UNSET_PW is not set" in stage["detail"]


def test_all_runs_concurrently(zen, write_config, redis_server) -> None:
    with servers.unanswering_listener() as hung:
        projects = {f"dead{i}": {"port": hung, "db": i} for i in range(5)}
        projects["live"] = {"port": redis_server.port, "db": 6}
        write_config(projects)
        started = time.monotonic()
        r = _run(zen, "--all", "--timeout", "1", "--json")
        elapsed = time.monotonic() - started
    assert r.code == ExitCode.STORAGE_UNREACHABLE
    results = {rep["project"]: rep["kind"] for rep in r.json()}
    assert results == {**{f"dead{i}": "unreachable" for i in range(5)}, "live": "ok"}
    assert elapsed < 2.5  # about one timeout, not five


def test_memory_has_nothing_to_test(zen) -> None:
    r = _run(zen)
    assert r.code == ExitCode.USAGE
    assert "nothing to test: storage is memory" in r.err


def test_doctor(zen, write_config, redis_server, config_file, monkeypatch) -> None:
    write_config(
        {
            "ok": {"port": redis_server.port, "key_prefix": "zen:doc:"},
            "down": {"port": servers.free_port(), "tls": {"enabled": True, "verify": False}},
        },
        default="ok",
    )
    config_file.chmod(0o644)
    monkeypatch.setenv("ZEN_PROJECT", "ok")
    (config_file.parent.parent / "work").mkdir(exist_ok=True)
    r = zen("config", "doctor", "--json")
    assert r.code == ExitCode.ERROR, r
    result = r.json()
    by_check = {}
    for f in result["findings"]:
        by_check.setdefault(f["check"], []).append((f["status"], f["detail"]))
    assert ("warn", f"file {config_file} is 0644; run: chmod 600 {config_file}") in by_check[
        "permissions"
    ]
    assert by_check["validation"] == [("ok", "valid, version 1")]
    assert by_check["project ok"][0][0] == "ok"
    assert by_check["project down"][0][0] == "fail"
    assert ("warn", "TLS certificate verification is OFF (tls.verify = false)") in by_check[
        "project down"
    ]
    assert by_check["environment"][0][1].startswith("ZEN_PROJECT=ok overrides")
    assert result["fail"] == 1
    text = zen("config", "doctor").out
    assert text.splitlines()[-1] == f"{result['ok']} ok, {result['warn']} warnings, 1 failures"


def test_doctor_on_an_invalid_file(zen, config_file) -> None:
    config_file.parent.mkdir(mode=0o700, parents=True)
    config_file.write_text('{"version": 1, "storage": {"type": "disk"}}')
    config_file.chmod(0o600)
    r = zen("config", "doctor", "--json")
    findings = r.json()["findings"]
    failed = [f for f in findings if f["status"] == "fail"]
    assert failed[0]["check"] == "validation"
    assert "storage.type: must be 'memory', 'redis' or 'local'" in failed[0]["detail"]


@pytest.mark.parametrize("flag", ["--all"])
def test_all_and_name_conflict(zen, write_config, flag: str) -> None:
    write_config({"p": {"port": 1}})
    assert _run(zen, "p", flag).code == ExitCode.USAGE


def test_add_project_with_test(zen, redis_server) -> None:
    r = zen(
        "config", "add-project", "good", "--port", str(redis_server.port), "--db", "3", "--test"
    )
    assert r.code == 0, r
    assert "zen: test-connection: ok (" in r.err
    r = zen("config", "add-project", "bad", "--port", str(servers.free_port()), "--test")
    assert r.code == ExitCode.STORAGE_UNREACHABLE
    assert "test-connection failed at connect: connection refused" in r.err
    assert "(the project is saved)" in r.err
    assert [p["name"] for p in zen("config", "list", "--json").json()] == ["bad", "good"]


PRELOAD = """
import json, sys
from pathlib import Path
from zenconfig import health, spec
conn = spec.connection("down", {"port": int(sys.argv[1]), "timeouts": {"connect_seconds": 0.3}})
reports = health.check_many({"down": conn}, Path("/nonexistent"))
print(json.dumps([reports[0].kind, "redis" in sys.modules]))
"""


def test_check_many_loads_the_redis_client_while_stages_wait(home) -> None:
    """The overlap is real: redis is loaded even when every project fails at connect."""
    import json
    import subprocess
    import sys

    with servers.unanswering_listener() as port:
        done = subprocess.run(
            [sys.executable, "-c", PRELOAD, str(port)],
            capture_output=True,
            text=True,
            env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
            timeout=60,
        )
    assert json.loads(done.stdout) == ["unreachable", True], done.stderr


def test_a_refused_password_command_is_its_own_failure(zen, tmp_path) -> None:
    """An untrusted file's command is refused (exit 3), never 'unavailable' (5)."""
    import json
    import os

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    config = shared / "config.json"
    conn = {"port": 1, "password": {"source": "command", "command": ["/bin/echo", "pw"]}}
    config.write_text(
        json.dumps({"version": 1, "storage": {"redis": {"connections": {"p": conn}}}})
    )
    config.chmod(0o600)
    r = zen("--config", str(config), "config", "test-connection", "p")
    assert r.code == 3, r
    assert "FAIL" in r.out and "password" in r.out
    assert "refusing to run" in r.out or "refus" in r.out
