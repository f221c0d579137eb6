from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from typer.testing import CliRunner

from tests import servers
from tests.memkeyring import MemoryKeyring
from zenconfig import runtime as factory
from zenconfig.cli import app

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private HOME and working directory, no ZEN_* variables, a memory keyring."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    for name in list(os.environ):
        if name.startswith("ZEN_") and name != "ZEN_TEST_SECRET_SERVICE":
            monkeypatch.delenv(name)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("ZEN_KEYRING_TIMEOUT", "2")
    monkeypatch.chdir(work)
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    from zenconfig import redact

    redact.forget()
    yield home
    keyring.set_keyring(previous)
    redact.forget()


@pytest.fixture
def home(isolated: Path) -> Path:
    return isolated


@pytest.fixture
def config_file(home: Path) -> Path:
    return home / ".zen-cli" / "config.json"


class Run:
    def __init__(self, result: Any) -> None:
        self.result = result
        self.code: int = result.exit_code
        self.out: str = result.stdout
        self.err: str = result.stderr

    def json(self) -> Any:
        return json.loads(self.out)

    def __repr__(self) -> str:
        return f"<exit {self.code}\nstdout: {self.out}\nstderr: {self.err}>"


@pytest.fixture
def zen() -> Callable[..., Run]:
    """Run the real app in-process: zen("config", "list", input=..., env=...)."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Run:
        result = runner.invoke(app, list(args), input=input, env=env, prog_name="zen")
        return Run(result)

    return run


def run_zen(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m zenconfig`` in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "zenconfig", *args],
        capture_output=True,
        text=True,
        input=input,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def two_projects(zen: Callable[..., Run]) -> None:
    assert zen("config", "init").code == 0
    assert zen("config", "add-project", "p1", "--host", "127.0.0.1", "--use").code == 0
    assert zen("config", "add-project", "p2", "--host", "127.0.0.1", "--db", "1").code == 0


# Servers and stores: session servers start only when a test asks for them.
@pytest.fixture(autouse=True)
def fresh_runtime() -> Iterator[None]:
    """Each test starts with no pooled clients, cached stores or warnings."""
    factory.reset()
    yield
    factory.reset()
    if "zenconfig.storage.redis" in sys.modules:
        from zenconfig.storage import redis as redis_backend

        redis_backend.close_all()


@pytest.fixture(scope="session")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("redis")


@pytest.fixture(scope="session")
def redis_server(server_dir: Path) -> Iterator[servers.Server]:
    server = servers.start(server_dir / "plain")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def quiet_server(server_dir: Path) -> Iterator[servers.Server]:
    """A server of its own for tests whose answers depend on the whole keyspace
    (an index probe walks every key): emptied before each such test."""
    server = servers.start(server_dir / "quiet")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def auth_server(server_dir: Path) -> Iterator[servers.Server]:
    acl = "user alice on >alice-pw ~zen:alice:* &* +@all\n"
    server = servers.start(server_dir / "auth", password="server-pw", conf=acl)
    yield server
    server.stop()


@pytest.fixture
def write_config(config_file: Path) -> Callable[..., Path]:
    """write_config({"p1": {...}}, default="p1") -> the config path."""

    def write(
        connections: dict[str, dict[str, Any]],
        default: str | None = None,
        fallback: str = "memory",
    ) -> Path:
        redis: dict[str, Any] = {"connections": connections}
        if default:
            redis["default"] = default
        doc = {
            "version": 1,
            "storage": {
                "type": "redis" if default else "memory",
                "fallback": fallback,
                "redis": redis,
            },
        }
        config_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        config_file.write_text(json.dumps(doc))
        config_file.chmod(0o600)
        return config_file

    return write


@pytest.fixture
def unique_prefix() -> str:
    return f"zt:{uuid.uuid4().hex[:10]}:"


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory) -> tuple[servers.Server, dict[str, str], dict[str, str]]:
    base = tmp_path_factory.mktemp("tls")
    certs = servers.make_certs(base / "good", "ca")
    other = servers.make_certs(base / "other", "other-ca")
    server = servers.start(base / "srv", tls=certs)
    yield server, certs, other
    server.stop()


@pytest.fixture(scope="module")
def victim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    """A server of the module's own, stopped and slowed by its tests."""
    server = servers.start(tmp_path_factory.mktemp("victim"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[servers.Server]]:
    nodes = servers.start_cluster(tmp_path_factory.mktemp("faults-cluster"))
    yield nodes
    for node in nodes:
        node.stop()


@pytest.fixture(scope="module")
def watched(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[servers.Server, servers.Server]]:
    """A master of the module's own and a Sentinel watching it as ``mymaster``."""
    base = tmp_path_factory.mktemp("watched")
    master = servers.start(base / "master")
    sentinel = servers.start_sentinel(base / "sentinel", master)
    yield master, sentinel
    sentinel.stop()
    master.stop()
