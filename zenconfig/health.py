"""test-connection: check a project in stages, stopping at the first failure.

Stages: password (read from its source), resolve (DNS), connect (TCP), tls
(handshake), auth, select, ping (latency, version, role) and probe (a key
written, read back and deleted under the project's prefix). Never falls back.
The Redis stages run in ``storage.redis.probe``; this module never prints.
"""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import (
    CommandRefusedError,
    ConfigError,
    SecretUnavailableError,
    StorageUnavailableError,
    ZenConfigError,
)
from .redact import scrub

if TYPE_CHECKING:
    from .spec import ConnectionSpec as Connection

STAGES = ("password", "resolve", "connect", "tls", "auth", "select", "ping", "probe")


@dataclass
class Stage:
    name: str
    ok: bool
    seconds: float
    detail: str = ""


@dataclass
class Report:
    project: str
    address: str
    ok: bool = True
    kind: str = "ok"  # ok | unreachable | secret | refused | config | error
    stages: list[Stage] = field(default_factory=list)
    server: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def failure(self) -> Stage | None:
        return next((s for s in self.stages if not s.ok), None)


class StageFailed(Exception):
    def __init__(self, detail: str, kind: str = "unreachable") -> None:
        super().__init__(detail)
        self.detail = detail
        self.kind = kind


def _stage(report: Report, name: str, fn: Any) -> Any:
    started = time.perf_counter()
    try:
        result = fn()
    except StageFailed as e:
        report.stages.append(Stage(name, False, time.perf_counter() - started, e.detail))
        report.ok, report.kind = False, e.kind
        raise
    detail = result if isinstance(result, str) else ""
    report.stages.append(Stage(name, True, time.perf_counter() - started, detail))
    return result


def _target(conn: Connection, timeout: float) -> tuple[str, int]:
    """Where the data lives: the host, the Sentinel's master, or the first Cluster node."""
    if conn.mode == "sentinel":
        from .storage.redis.probe import sentinel_master

        try:
            return sentinel_master(conn, timeout)
        except ZenConfigError as e:
            raise StageFailed(e.message) from e
    if conn.mode == "cluster":
        return conn.nodes[0]
    return conn.host, conn.port


def _resolve(host: str, port: int) -> list[Any]:
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise StageFailed(f"cannot resolve host '{host}': {e.strerror}") from e
    except UnicodeError as e:  # not even a valid host name
        raise StageFailed(f"cannot resolve host '{host}': {e}") from e


def _connect(addresses: list[Any], host: str, port: int, timeout: float) -> socket.socket:
    family, kind, proto, _, sockaddr = addresses[0]
    sock = socket.socket(family, kind, proto)
    sock.settimeout(timeout)
    try:
        sock.connect(sockaddr)
    except ConnectionRefusedError as e:
        sock.close()
        raise StageFailed(f"connection refused by {host}:{port} (is Redis running there?)") from e
    except TimeoutError as e:
        sock.close()
        raise StageFailed(f"no answer from {host}:{port} within {timeout:g}s (timeout)") from e
    except OSError as e:
        sock.close()
        raise StageFailed(f"cannot connect to {host}:{port}: {e.strerror}") from e
    return sock


def _tls(conn: Connection, host: str, port: int, timeout: float) -> str:
    """The handshake with the store's own TLS policy (``storage.redis.client``)."""
    from .storage.redis.probe import tls_handshake

    try:
        return tls_handshake(conn, host, port, timeout)
    except StorageUnavailableError as e:
        raise StageFailed(f"TLS handshake failed: {e.message}") from e
    except ConfigError as e:  # a TLS file of the project that cannot be used
        raise StageFailed(e.message, "config") from e
    except ZenConfigError as e:
        raise StageFailed(e.message, "error") from e


def check(name: str, conn: Connection, source: Any, timeout: float | None = None) -> Report:
    """Run every stage for one project; the report says where it stopped and why.

    ``source`` is the ``configfile.Loaded`` the project was read from: a
    password command runs only when that very file is trusted.
    """
    from . import secrets
    from .storage.redis import probe as redis_backend

    limit = timeout or conn.connect_timeout
    report = Report(name, conn.address())
    secret: list[str | None] = []

    def password() -> str:
        try:
            secret.append(secrets.resolve(conn.password, name, source))
        except SecretUnavailableError as e:
            raise StageFailed(e.message, "secret") from e
        except CommandRefusedError as e:
            raise StageFailed(e.message, "refused") from e
        return "none" if conn.password is None else str(conn.password["source"])

    def resolve() -> tuple[str, int, list[Any]]:
        host, port = _target(conn, limit)  # a Sentinel's master is found here
        return host, port, _resolve(host, port)

    try:
        _stage(report, "password", password)
        host, port, addresses = _stage(report, "resolve", resolve)
        report.stages[-1].detail = f"{host}:{port}"
        sock = _stage(report, "connect", lambda: _connect(addresses, host, port, limit))
        sock.close()
        if conn.tls.enabled:
            _stage(report, "tls", lambda: _tls(conn, host, port, limit))
        mark = time.perf_counter()  # a failed stage's time: since the stage before it ended
        for stage_name, detail in redis_backend.probe(name, conn, secret[0], host, port, limit):
            if isinstance(detail, BaseException):
                unreachable = stage_name == "connect" or isinstance(detail, StorageUnavailableError)
                kind = "unreachable" if unreachable else "error"
                message = (
                    detail.message if isinstance(detail, ZenConfigError) else scrub(str(detail))
                )
                report.stages.append(Stage(stage_name, False, time.perf_counter() - mark, message))
                report.ok, report.kind = False, kind
                break
            seconds, text, info = detail
            report.stages.append(Stage(stage_name, True, seconds, text))
            report.server.update(info)
            mark = time.perf_counter()
    except StageFailed:
        pass
    return report


def _preload() -> None:
    from .storage.redis.client import preload

    preload()


def check_many(
    projects: dict[str, Connection], source: Any, timeout: float | None = None
) -> list[Report]:
    """Check every project at once: the wall time is about one timeout, not one each."""
    if not projects:
        return []
    with ThreadPoolExecutor(max_workers=min(32, len(projects) + 1)) as pool:
        pool.submit(_preload)  # the Redis client loads while the DNS/TCP stages wait
        futures = {n: pool.submit(check, n, c, source, timeout) for n, c in projects.items()}
        return [futures[n].result() for n in sorted(futures)]
