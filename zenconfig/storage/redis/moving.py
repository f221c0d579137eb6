"""A Redis project's raw keys, node by node: what copy and stats move and measure.

``KeySpace`` is the Redis store's bulk view (``RedisStore.keyspace()``): the
servers that hold the project (one, the Sentinel's master, or each Cluster
primary), each with a plain binary client; SCAN pages under the prefix;
pipelined reads and writes grouped by node (a key goes to the node of its
slot). Key names stay bytes from SCAN to the last write. Every redis-py
error becomes ours here (``RedisStore.error``). The copy steps built on it
are in ``mover``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ... import identity
from .classify import redis_errors
from .slots import glob_escape, keyslot

if TYPE_CHECKING:
    from .store import RedisStore

T = TypeVar("T")


@dataclass(frozen=True)
class Node:
    """One server of a key space: its address as the client reaches it, and a client."""

    name: str  # host:port
    host: str
    port: int
    client: Any


class KeySpace:
    """The keys of one Redis project, for moving many at once."""

    kind = "redis"

    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self.spec = store.spec
        self.name = store.name
        self.prefix = store.prefix.encode("utf-8", "surrogateescape")
        self.cluster = store.cluster
        self.tls = self.spec.tls.enabled
        self.db = 0 if self.cluster else self.spec.db
        self._nodes: list[Node] | None = None

    # -- the boundary ------------------------------------------------------------

    def call(self, fn: Callable[[], T], write: bool = False) -> T:
        """Run redis-py calls; their errors become ours (``write``: unknown when lost)."""
        try:
            return fn()
        except redis_errors() as e:
            raise self.store.error(e, write=write) from e

    # -- where the keys are ------------------------------------------------------

    def nodes(self) -> list[Node]:
        """The servers holding the project's keys (Cluster: every primary, by name)."""
        if self._nodes is None:
            self._nodes = self.call(self._find_nodes)
        return self._nodes

    def _find_nodes(self) -> list[Node]:
        client = self.store.client
        if self.cluster:
            found = [
                Node(n.name, n.host, int(n.port), client.get_redis_connection(n))
                for n in client.get_primaries()
            ]
            return sorted(found, key=lambda n: n.name)
        if self.spec.mode == "sentinel":
            host, port = client.connection_pool.get_master_address()
        else:
            host, port = self.spec.host, self.spec.port
        return [Node(f"{host}:{port}", str(host), int(port), client)]

    def node_of(self, slot: int) -> Node:
        """The node serving ``slot`` (the only node outside Cluster)."""
        if not self.cluster:
            return self.nodes()[0]
        owners = self.store.client.nodes_manager.slots_cache.get(slot)
        if not owners:
            from ...errors import StorageUnavailableError

            raise StorageUnavailableError(
                f"Redis Cluster of project '{self.name}' serves no node for slot {slot}",
                where=self.store.where,
            )
        name = owners[0].name
        return next(n for n in self.nodes() if n.name == name)

    def node_of_key(self, key: bytes) -> Node:
        return self.node_of(keyslot(key)) if self.cluster else self.nodes()[0]

    def identity(self) -> frozenset[identity.Endpoint]:
        """Which servers these are (resolved names; a Sentinel's master; every primary)."""
        if self.cluster:
            nodes = [(n.host, n.port) for n in self.nodes()]
            return identity.endpoints({"mode": "cluster", "nodes": nodes}, resolve=True)
        master = None
        if self.spec.mode == "sentinel":
            node = self.nodes()[0]
            master = (node.host, node.port)
        return identity.endpoints(self.spec, resolve=True, master=master)

    def mover(self, target: KeySpace, run: str, wanted: str) -> Any:
        """The copy steps from here to ``target`` for run ``run`` (``mover.Mover``);
        ``wanted``: auto, copy, migrate or dump (refused where it cannot work)."""
        from .mover import Mover, choose

        method, target_db = choose(self, target, wanted)
        return Mover(self, target, run, method, target_db)

    def credentials(self) -> tuple[str | None, str | None]:
        """(user, password) the project's client logs in with (MIGRATE logs in as it)."""
        kwargs = self.nodes()[0].client.connection_pool.connection_kwargs
        return kwargs.get("username"), kwargs.get("password")

    # -- reading and writing many keys ---------------------------------------------

    def scan(self, node: Node, cursor: int, count: int, base: bytes | None = None) -> Any:
        """One SCAN step on ``node`` under ``base`` (default: the prefix): (cursor, names)."""
        pattern = glob_escape(self.prefix if base is None else base) + b"*"

        def step() -> tuple[int, list[bytes]]:
            after, names = node.client.scan(cursor=cursor, match=pattern, count=count)
            return int(after), list(names)

        return self.call(step)

    def by_node(self, keys: Iterable[bytes]) -> dict[str, list[int]]:
        """Positions of ``keys`` grouped by the node that holds each."""
        groups: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            groups.setdefault(self.node_of_key(key).name, []).append(i)
        return groups

    def pipelined(
        self,
        keys: list[bytes],
        queue: Callable[[Any, int], None],
        width: int = 1,
        write: bool = False,
        node_of: Callable[[int], Node] | None = None,
    ) -> list[Any]:
        """Per key, ``width`` replies of the commands ``queue(pipe, i)`` adds; one
        round trip per node. Errors are replies (exceptions), not raised."""
        replies: list[Any] = [None] * (len(keys) * width)
        if node_of is None:
            groups = self.by_node(keys)
        else:
            groups = {}
            for i in range(len(keys)):
                groups.setdefault(node_of(i).name, []).append(i)
        named = {n.name: n for n in self.nodes()}
        for name, positions in groups.items():

            def run(node: Node = named[name], positions: list[int] = positions) -> list[Any]:
                pipe = node.client.pipeline(transaction=False)
                for i in positions:
                    queue(pipe, i)
                return list(pipe.execute(raise_on_error=False))

            answers = self.call(run, write=write)
            for j, i in enumerate(positions):
                replies[i * width : (i + 1) * width] = answers[j * width : (j + 1) * width]
        return replies

    def exists(self, keys: list[bytes]) -> list[bool]:
        replies = self.pipelined(keys, lambda pipe, i: pipe.exists(keys[i]))
        return [self.ok(r) == 1 for r in replies]

    def dump(self, keys: list[bytes]) -> list[tuple[int, bytes | None]]:
        """(pttl, DUMP payload) of each key; (-2, None) when it is gone."""

        def queue(pipe: Any, i: int) -> None:
            pipe.pttl(keys[i])
            pipe.dump(keys[i])

        replies = self.pipelined(keys, queue, width=2)
        return [
            (int(self.ok(replies[2 * i])), self.ok(replies[2 * i + 1])) for i in range(len(keys))
        ]

    def delete(self, keys: list[bytes]) -> int:
        if not keys:
            return 0
        replies = self.pipelined(keys, lambda pipe, i: pipe.delete(keys[i]), write=True)
        return sum(int(self.ok(r, write=True)) for r in replies)

    def ok(self, reply: Any, write: bool = False) -> Any:
        """A pipelined reply, or its error raised as ours."""
        if isinstance(reply, Exception):
            raise self.store.error(reply, write=write) from reply
        return reply


def memory_usage(store: RedisStore, keys: list[str]) -> int:
    """MEMORY USAGE of ``keys`` (full names), summed, one round trip per node."""
    space = KeySpace(store)
    names = [k.encode("utf-8", "surrogateescape") for k in keys]
    replies = space.pipelined(names, lambda pipe, i: pipe.memory_usage(names[i]))
    return sum(int(space.ok(r) or 0) for r in replies)
