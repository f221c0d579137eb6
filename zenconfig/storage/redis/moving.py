"""A Redis project's raw keys, node by node: what copy and stats move and measure.

``KeySpace`` is the Redis store's bulk view (``RedisStore.keyspace()``): the
servers that hold the project (one, the Sentinel's master, or each Cluster
primary), each with a plain binary client; SCAN pages under the prefix; one
``bulk`` script per node for a step over many keys (a key goes to the node of
its slot; the nodes of a Cluster work at once, one thread each). Key names
stay bytes from SCAN to the last write. Every redis-py error becomes ours
here (``RedisStore.error``). The copy steps built on it are in ``mover``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ... import identity
from . import bulk
from .classify import redis_errors
from .slots import SLOTS, glob_escape, keyslot

if TYPE_CHECKING:
    from .store import RedisStore

T = TypeVar("T")
Args = Callable[[int], list[Any]]


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
        self._owners: list[Node | None] = []
        self._slot_node: list[int] = []  # slot -> position in nodes(), -1 none
        self._seen: dict[str, tuple[str, int]] = {}
        self._first: dict[str, int] = {}

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
        if not self.cluster:
            if self.spec.mode == "sentinel":
                host, port = client.connection_pool.get_master_address()
            else:
                host, port = self.spec.host, self.spec.port
            return [Node(f"{host}:{port}", str(host), int(port), client)]
        found = {
            n.name: Node(n.name, n.host, int(n.port), client.get_redis_connection(n))
            for n in client.get_primaries()
        }
        owners = client.nodes_manager.slots_cache
        self._owners = [found.get(owners[s][0].name) if owners.get(s) else None
                        for s in range(SLOTS)]  # fmt: skip
        nodes = sorted(found.values(), key=lambda n: n.name)
        place = {id(n): i for i, n in enumerate(nodes)}
        self._slot_node = [place[id(n)] if n is not None else -1 for n in self._owners]
        return nodes

    def node_of(self, slot: int) -> Node:
        """The node serving ``slot`` (the only node outside Cluster)."""
        nodes = self.nodes()
        if not self.cluster:
            return nodes[0]
        node = self._owners[slot]
        if node is None:
            from ...errors import StorageUnavailableError

            raise StorageUnavailableError(
                f"Redis Cluster of project '{self.name}' has no node for slot {slot}",
                where=self.store.where,
            )
        return node

    def first_slot(self, node: Node) -> int | None:
        """A slot ``node`` serves (where it keeps notes of its own); None outside Cluster."""
        if not self.cluster:
            return None
        if node.name not in self._first:
            self._first[node.name] = next(s for s, o in enumerate(self._owners) if o is node)
        return self._first[node.name]

    def slots_of(self, keys: Sequence[bytes]) -> list[int]:
        return [keyslot(k) for k in keys] if self.cluster else [0] * len(keys)

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

    def address(self, node: Node) -> tuple[str, int]:
        """Where another server reaches ``node`` (MIGRATE): its configured address, or
        for a loopback name (``localhost`` may mean ::1 to the other server) the
        address the node itself answers on (CLIENT INFO ``laddr``)."""
        literal = node.host in identity.LOOPBACK
        if literal or identity.host_addresses(node.host) != identity.LOOPBACK:
            return node.host, node.port
        if node.name not in self._seen:
            info = self.call(node.client.client_info)
            host, _, port = str(info.get("laddr", "")).rpartition(":")
            found = (host.strip("[]"), int(port)) if host else (node.host, node.port)
            self._seen[node.name] = found
        return self._seen[node.name]

    def credentials(self) -> tuple[str | None, str | None]:
        """(user, password) the project's client logs in with (MIGRATE logs in as it)."""
        kwargs = self.nodes()[0].client.connection_pool.connection_kwargs
        return kwargs.get("username"), kwargs.get("password")

    # -- many keys at once ---------------------------------------------------------

    def scan(self, node: Node, cursor: int, count: int, base: bytes | None = None) -> Any:
        """One SCAN step on ``node`` under ``base`` (default: the prefix): (cursor, names)."""
        pattern = glob_escape(self.prefix if base is None else base) + b"*"

        def step() -> tuple[int, list[bytes]]:
            after, names = node.client.scan(cursor=cursor, match=pattern, count=count)
            return int(after), list(names)

        return self.call(step)

    def by_node(self, slots: Sequence[int]) -> list[tuple[Node, list[int]]]:
        """Positions grouped by the node serving each slot."""
        nodes = self.nodes()
        if not self.cluster:
            return [(nodes[0], list(range(len(slots))))] if slots else []
        groups: list[list[int]] = [[] for _ in range(len(nodes) + 1)]
        where = self._slot_node
        for i, slot in enumerate(slots):
            groups[where[slot]].append(i)  # -1: no node serves it, the extra last group
        if groups[-1]:
            self.node_of(slots[groups[-1][0]])  # raises
        return [(node, group) for node, group in zip(nodes, groups, strict=False) if group]

    def at_once(self, work: list[Callable[[], T]]) -> list[T]:
        """Run one call per node, the nodes of a Cluster at the same time."""
        if len(work) < 2:
            return [w() for w in work]
        return list(_workers().map(lambda w: w(), work))

    def each(
        self,
        script: str,
        slots: Sequence[int],
        args: Args,
        lead: list[Any] | None = None,
        write: bool = False,
        per_node: Callable[[Node], list[Any]] | None = None,
    ) -> list[tuple[list[int], Any]]:
        """Run a ``bulk`` script once per node over items in ``slots``; ``args(i)``
        gives item i's arguments; ``lead`` and then ``per_node(node)`` go first.
        Per node: (positions, reply)."""
        run = self._scripts[script]
        work = []
        for node, positions in self.by_node(slots):
            flat = list(lead or []) + (per_node(node) if per_node else [])
            for i in positions:
                flat += args(i)

            def one(client: Any = node.client, flat: list[Any] = flat) -> Any:
                return self.call(lambda: run(args=flat, client=client), write=write)

            work.append((positions, one))
        replies = self.at_once([w for _, w in work])
        return [(positions, reply) for (positions, _), reply in zip(work, replies, strict=True)]

    @functools.cached_property
    def _scripts(self) -> dict[str, Any]:
        client = self.nodes()[0].client
        return {name: client.register_script(getattr(bulk, name)) for name in bulk.NAMES}

    def codes(self, script: str, slots: Sequence[int], args: Args,
              lead: list[Any] | None = None, write: bool = False) -> str:  # fmt: skip
        """A script's one-character outcome per item, in order."""
        out = [""] * len(slots)
        for positions, reply in self.each(script, slots, args, lead, write):
            for i, code in zip(positions, reply.decode("ascii"), strict=True):
                out[i] = code
        return "".join(out)

    def exists(self, keys: list[bytes]) -> list[bool]:
        codes = self.codes("EXISTS", self.slots_of(keys), lambda i: [keys[i]])
        return [c == "1" for c in codes]

    def dump(self, keys: list[bytes]) -> list[tuple[int, bytes | None]]:
        """(pttl, DUMP payload) of each key; (-2, None) when it is gone."""
        out: list[tuple[int, bytes | None]] = [(-2, None)] * len(keys)
        for positions, reply in self.each("DUMP", self.slots_of(keys), lambda i: [keys[i]]):
            for j, i in enumerate(positions):
                out[i] = (int(reply[2 * j]), reply[2 * j + 1] or None)
        return out

    def delete(self, keys: list[bytes]) -> int:
        found = self.each("DELETE", self.slots_of(keys), lambda i: [keys[i]], write=True)
        return sum(int(reply) for _, reply in found)

    def pipelined(self, keys: list[bytes], queue: Callable[[Any, int], None]) -> list[Any]:
        """Per key, the reply of the command ``queue(pipe, i)`` adds; one round trip
        per node; a refused command is its reply (an exception)."""
        replies: list[Any] = [None] * len(keys)
        for node, positions in self.by_node(self.slots_of(keys)):

            def run(node: Node = node, positions: list[int] = positions) -> list[Any]:
                pipe = node.client.pipeline(transaction=False)
                for i in positions:
                    queue(pipe, i)
                return list(pipe.execute(raise_on_error=False))

            for i, reply in zip(positions, self.call(run), strict=True):
                replies[i] = reply
        return replies

    def contents(self, keys: list[bytes]) -> list[Any]:
        """Each key's value as data (a hash as a dict, a set as a set, ...), for values
        whose DUMP differs only in layout: a hash or set kept as a hash table dumps in
        the table's order, which a copy rebuilds. None: gone, or of a type not read here."""
        typed = self.pipelined(keys, lambda pipe, i: pipe.type(keys[i]))
        kinds = [k.decode() if isinstance(k, bytes) else k for k in typed]

        def queue(pipe: Any, i: int) -> None:
            read = _READERS.get(kinds[i])
            if read is None:
                pipe.exists(keys[i])  # a reply in its place, not used
            else:
                read(pipe, keys[i])

        found = self.pipelined(keys, queue)
        return [
            None if _READERS.get(kind) is None or isinstance(value, Exception) else value
            for kind, value in zip(kinds, found, strict=True)
        ]

    def ok(self, reply: Any, write: bool = False) -> Any:
        """A pipelined reply, or its error raised as ours."""
        if isinstance(reply, Exception):
            raise self.store.error(reply, write=write) from reply
        return reply


_READERS: dict[str, Callable[[Any, bytes], Any]] = {
    "string": lambda pipe, key: pipe.get(key),
    "hash": lambda pipe, key: pipe.hgetall(key),
    "list": lambda pipe, key: pipe.lrange(key, 0, -1),
    "set": lambda pipe, key: pipe.smembers(key),
    "zset": lambda pipe, key: pipe.zrange(key, 0, -1, withscores=True),
    "stream": lambda pipe, key: pipe.xrange(key),
}


@functools.cache
def _workers() -> Any:
    """This process's threads for talking to several nodes at once (made on demand)."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=16, thread_name_prefix="zen-nodes")


def memory_usage(store: RedisStore, keys: list[str]) -> int:
    """MEMORY USAGE of ``keys`` (full names), summed, one round trip per node."""
    space = KeySpace(store)
    names = [k.encode("utf-8", "surrogateescape") for k in keys]
    replies = space.pipelined(names, lambda pipe, i: pipe.memory_usage(names[i]))
    return sum(int(space.ok(r) or 0) for r in replies)
