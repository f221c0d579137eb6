"""A password never reaches a message, and an untrusted file never gets one."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import servers
from zenconfig.errors import ExitCode

PASSWORD = "S3cr3t-PW-xyz"


@pytest.fixture(scope="module")
def no_hello(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    """A password server without HELLO (as before Redis 6, or behind some proxies)."""
    server = servers.start(
        tmp_path_factory.mktemp("nohello"), password=PASSWORD, conf='rename-command HELLO ""\n'
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def no_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    """A server that echoes the arguments of a command it does not know (AUTH here)."""
    server = servers.start(tmp_path_factory.mktemp("noauth"), conf='rename-command AUTH ""\n')
    yield server
    server.stop()


def _project(zen, port: int) -> None:  # type: ignore[no-untyped-def]
    assert zen("config", "init").code == 0
    r = zen("config", "add-project", "p", "--port", str(port), "--password-env", "P_PW", "--use")
    assert r.code == 0, r


def test_a_server_without_hello_works(zen, no_hello: servers.Server) -> None:
    _project(zen, no_hello.port)
    r = zen("config", "test-connection", "p", env={"P_PW": PASSWORD})
    assert r.code == 0, r
    assert PASSWORD not in r.out + r.err


def test_an_echoed_password_is_masked(zen, no_auth: servers.Server) -> None:
    _project(zen, no_auth.port)
    for args in (("config", "test-connection", "p"), ("storage", "threads"), ("config", "doctor")):
        r = zen(*args, env={"P_PW": PASSWORD})
        assert r.code != 0
        assert PASSWORD not in r.out + r.err, args
    r = zen("--verbose", "storage", "threads", env={"P_PW": PASSWORD})
    assert r.code != 0 and PASSWORD not in r.out + r.err


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback port that records whatever a client sends it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.settimeout(0.5)
            with contextlib.suppress(OSError):
                received.append(conn.recv(65536))
            conn.close()

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    yield server.getsockname()[1], received
    stop.set()
    worker.join(2)
    server.close()


@pytest.mark.parametrize(
    "password",
    [
        {"source": "env", "env": "MY_CLOUD_SECRET"},
        {"source": "keyring", "username": "me", "service": "mail"},
    ],
)
def test_an_untrusted_file_gets_no_secret(zen, tmp_path: Path, listener, password) -> None:  # type: ignore[no-untyped-def]
    import keyring

    port, received = listener
    keyring.set_password("mail", "me", "mail-secret")
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    config = shared / "config.json"
    conn = {"port": port, "password": password}
    config.write_text(
        json.dumps({"version": 1, "storage": {"redis": {"connections": {"p": conn}}}})
    )
    config.chmod(0o600)
    env = {"MY_CLOUD_SECRET": "AKIA-super-secret"}
    r = zen("--config", str(config), "config", "test-connection", "p", env=env)
    assert r.code == ExitCode.INVALID_CONFIG, r
    assert "refusing to read the password of project 'p'" in r.out
    r = zen("--config", str(config), "config", "show", "p", "--reveal", env=env)
    assert r.code == ExitCode.INVALID_CONFIG, r
    assert "mail-secret" not in r.out + r.err
    assert not any(b"secret" in data for data in received)
