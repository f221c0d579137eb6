"""Servers that fail on purpose, and the checks of the fault-injection tests.

A listener that accepts and never answers, a SIGSTOPped server, a proxy that
holds replies (a slow server), a server out of memory (also used by
bench/runtime). All on loopback; each stops what it started. The bounds: a
fallback decision within 1.2 x the connect timeout, a stall within one socket
timeout, each with a margin for a loaded 2-core machine.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from tests import servers
from tests.servers import Server
from zenconfig import runtime as factory
from zenconfig.errors import ExitCode, StorageUnavailableError
from zenconfig.storage import redis as redis_backend


@contextlib.contextmanager
def hanging_listener() -> Iterator[int]:
    """A loopback port that accepts every connection and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    port = int(listener.getsockname()[1])
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


@contextlib.contextmanager
def stopped(server: Server) -> Iterator[Server]:
    """The server SIGSTOPped (its sockets stay open, nothing answers); SIGCONT after."""
    server.proc.send_signal(signal.SIGSTOP)
    try:
        yield server
    finally:
        server.proc.send_signal(signal.SIGCONT)


class DelayProxy:
    """A loopback TCP proxy in front of ``port`` that holds each reply ``delay`` seconds.

    Requests pass at once; replies wait, so a client sees a slow server.
    ``delay`` may be changed while it runs. Used as a context manager.
    """

    def __init__(self, port: int, delay: float = 0.0) -> None:
        self.target = port
        self.delay = delay
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]

    def __enter__(self) -> DelayProxy:
        self._threads[0].start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for sock in [self._listener, *self._sockets]:
            with contextlib.suppress(OSError):
                sock.close()
        for thread in self._threads:
            thread.join(5)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client = self._listener.accept()[0]
            except OSError:
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            upstream.settimeout(None)
            client.settimeout(None)
            self._sockets += [client, upstream]
            for src, dst, slow in ((client, upstream, False), (upstream, client, True)):
                pump = threading.Thread(target=self._pump, args=(src, dst, slow), daemon=True)
                self._threads.append(pump)
                pump.start()

    def _pump(self, src: socket.socket, dst: socket.socket, slow: bool) -> None:
        with contextlib.suppress(OSError):
            while not self._stop.is_set():
                data = src.recv(65536)
                if not data:
                    break
                if slow and self.delay:
                    time.sleep(self.delay)
                dst.sendall(data)
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def fill_to_maxmemory(server: Server) -> None:
    """Make the server refuse every write that needs memory (maxmemory below use, noeviction)."""
    used = next(
        int(line.split(":")[1])
        for line in server.cli("INFO", "memory").splitlines()
        if line.startswith("used_memory:")
    )
    server.cli("CONFIG", "SET", "maxmemory-policy", "noeviction")
    server.cli("CONFIG", "SET", "maxmemory", str(max(used - 100_000, 1)))


# -- the tests' bounds and checks --------------------------------------------------------

CONNECT = 1.0  # connect timeout of the projects below
SOCKET = 1.5  # socket timeout of the projects below
MARGIN = 0.5  # a loaded 2-core machine
DECISION = 1.2 * CONNECT + MARGIN  # the design's bound on the fallback decision
TIMEOUTS = {"connect_seconds": CONNECT, "socket_seconds": SOCKET}
OPENING = {"connect_seconds": CONNECT}  # the socket timeout stays 5 s: it must not count


@contextlib.contextmanager
def shape(name: str, victim: servers.Server) -> Iterator[int]:
    """A loopback port that fails the way ``name`` says."""
    if name == "refused":
        yield servers.free_port()
    elif name == "unanswered":
        with servers.unanswering_listener() as port:
            yield port
    elif name == "hanging":
        with hanging_listener() as port:
            yield port
    elif name == "stopped":
        with stopped(victim):
            yield victim.port
    elif name == "slow":
        with DelayProxy(victim.port, delay=3 * CONNECT) as proxy:
            yield proxy.port
    else:
        raise AssertionError(name)


SHAPES = ["refused", "unanswered", "hanging", "stopped", "slow"]


def fresh() -> None:
    factory.reset()
    redis_backend.close_all()


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.monotonic()
    try:
        result: Any = fn()
    except Exception as e:  # the outcome is asserted by the caller
        result = e
    return time.monotonic() - started, result


def assert_fell_back(elapsed: float, store: Any, err: str, name: str) -> None:
    assert not isinstance(store, Exception), store
    assert store.degraded and store.name == f"degraded:{name}"
    assert elapsed < DECISION, f"fallback decision took {elapsed:.2f}s"
    assert err.count("zen: warning: ") == 1
    assert f"zen: warning: Redis for project '{name}' is unreachable" in err


def assert_unreachable(elapsed: float, error: Any) -> None:
    assert isinstance(error, StorageUnavailableError), error
    assert error.exit_code == ExitCode.STORAGE_UNREACHABLE
    assert elapsed < DECISION, f"the error took {elapsed:.2f}s"


def sentinel_project(ports: list[int], service: str = "mymaster") -> dict[str, Any]:
    return {
        "mode": "sentinel",
        "service_name": service,
        "sentinels": [{"host": "127.0.0.1", "port": p} for p in ports],
        "timeouts": OPENING,
    }


def cluster_project(ports: list[int], timeouts: dict[str, float] = OPENING) -> dict[str, Any]:
    return {
        "mode": "cluster",
        "nodes": [{"host": "127.0.0.1", "port": p} for p in ports],
        "timeouts": timeouts,
    }
