"""Real redis-server processes for the storage tests, on free loopback ports.

Each server runs in its own temp directory and is stopped by PID. Nothing here
touches the machine's own Redis on 6379.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


def free_port(below: int = 65536) -> int:
    """A free loopback port (below ``below``; cluster nodes also need port+10000)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port < below:
            return port
    raise RuntimeError("no free port")


@dataclass
class Server:
    port: int
    directory: Path
    proc: subprocess.Popen[bytes]
    password: str | None = None
    tls: dict[str, str] = field(default_factory=dict)

    def cli(self, *args: str) -> str:
        cmd = [REDIS_CLI, "-p", str(self.port), "--no-auth-warning"]
        if self.password:
            cmd += ["-a", self.password]
        if self.tls:
            cmd += ["--tls", "--cacert", self.tls["ca"]]
        done = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=20)
        return done.stdout.strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _wait_ready(server: Server, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            log = (server.directory / "redis.log").read_text(errors="replace")
            raise RuntimeError(f"redis-server on {server.port} exited: {log[-2000:]}")
        if server.cli("PING") == "PONG":
            return
        time.sleep(0.05)
    raise RuntimeError(f"redis-server on {server.port} did not start")


def start(
    directory: Path,
    *extra: str,
    password: str | None = None,
    conf: str = "",
    port: int | None = None,
    tls: dict[str, str] | None = None,
) -> Server:
    port = port or free_port()
    directory.mkdir(parents=True, exist_ok=True)
    conf_file = directory / "redis.conf"
    lines = [
        "bind 127.0.0.1",
        f"dir {directory}",
        'save ""',
        "appendonly no",
        f"logfile {directory / 'redis.log'}",
    ]
    if tls:
        lines += [
            "port 0",
            f"tls-port {port}",
            f"tls-cert-file {tls['cert']}",
            f"tls-key-file {tls['key']}",
            f"tls-ca-cert-file {tls['ca']}",
            "tls-auth-clients no",
        ]
    else:
        lines.append(f"port {port}")
    if password:
        lines.append(f"requirepass {password}")
    conf_file.write_text("\n".join(lines) + "\n" + conf)
    proc = subprocess.Popen([REDIS_SERVER, str(conf_file), *extra], stdout=subprocess.DEVNULL)
    server = Server(port, directory, proc, password, tls or {})
    _wait_ready(server)
    return server


def make_certs(directory: Path, name: str = "ca") -> dict[str, str]:
    """A CA and a server certificate for 127.0.0.1/localhost, made with openssl."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca = directory / f"{name}.key", directory / f"{name}.crt"
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.crt"
    ext = directory / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        f"/CN=zen test {name}",
        "-keyout",
        str(ca_key),
        "-out",
        str(ca),
    )
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        str(key),
        "-out",
        str(csr),
    )
    run(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca),
        "-CAkey",
        str(ca_key),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        str(ext),
        "-out",
        str(cert),
    )
    return {"ca": str(ca), "cert": str(cert), "key": str(key)}


def start_cluster(directory: Path, masters: int = 3) -> list[Server]:
    nodes = [
        start(
            directory / f"node{i}",
            conf="cluster-enabled yes\ncluster-node-timeout 2000\n",
            port=free_port(below=55535),
        )
        for i in range(masters)
    ]
    subprocess.run(
        [
            REDIS_CLI,
            "--cluster",
            "create",
            *[f"127.0.0.1:{n.port}" for n in nodes],
            "--cluster-replicas",
            "0",
            "--cluster-yes",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all("cluster_state:ok" in n.cli("CLUSTER", "INFO") for n in nodes):
            return nodes
        time.sleep(0.1)
    raise RuntimeError("cluster did not become ok")


def start_sentinel(directory: Path, master: Server, service: str = "mymaster") -> Server:
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    conf = directory / "sentinel.conf"
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {directory}\nlogfile {directory / 'redis.log'}\n"
        f"sentinel monitor {service} 127.0.0.1 {master.port} 1\n"
        f"sentinel down-after-milliseconds {service} 1000\n"
        f"sentinel failover-timeout {service} 3000\n"
    )
    proc = subprocess.Popen([REDIS_SERVER, str(conf), "--sentinel"], stdout=subprocess.DEVNULL)
    server = Server(port, directory, proc)
    _wait_ready(server)
    return server


@contextlib.contextmanager
def unanswering_listener() -> Iterator[int]:
    """A loopback port that accepts nothing: backlog full, new SYNs are dropped."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.1)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


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
