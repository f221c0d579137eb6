"""Real redis-server processes for the storage tests, on free loopback ports.

Each server runs in its own temp directory and is stopped by PID. Nothing here
touches the machine's own Redis on 6379. Servers that fail on purpose (hanging,
stopped, slow, out of memory) are in ``tests.storage.faults``.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
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


def gone(pid: int, within: float = 5.0) -> bool:
    """True once ``pid`` no longer runs (absent, or a zombie waiting for its reaper)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False
