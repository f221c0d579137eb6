"""Copy steps between two Redis key spaces: stage a page, rename it into place, sweep.

Every key a run writes is first written under the run's staging namespace on
the target, ``<target prefix>zen-copy:<run>:``, and then renamed into place
on the same node (RENAMENX for skip, RENAME for replace): names outside that
namespace are only ever written by the rename. How a key reaches its staging
name (``Item.way``):

- ``copy``: one server (or one Cluster): ``COPY key staged [DB n]``;
- ``migrate``: two servers: ``COPY`` to the staging name on the source
  server, then ``MIGRATE`` those names to the node that serves them (the
  values never pass through this process);
- ``dump``: pipelined ``PTTL``/``DUMP`` from the source, ``RESTORE`` on the
  target (TLS, or where a Cluster slot rule forbids the others).

In a Cluster a key is routed to the node of its slot and every pipeline is
per node; a staging name keeps the slot of its final name (``slots``), and a
key whose source and final slots differ goes by ``dump`` when COPY would have
to cross slots. A failed ``MIGRATE`` or a COPY the source refuses (an ACL)
switches the run to ``dump``; what it had staged is removed first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ... import identity
from ...errors import UsageError, ZenConfigError
from .slots import keyslot, staged_name, unstaged

if TYPE_CHECKING:
    from .moving import KeySpace, Node

STAGING = b"zen-copy:"  # relative names under it are a copy's staging area, never data


@dataclass
class Item:
    """One key on its way: source name, staging name, final name, and how it travels."""

    src: bytes
    stage: bytes
    final: bytes
    way: str


def choose(source: KeySpace, target: KeySpace, wanted: str) -> tuple[str, int | None]:
    """The method for this pair (``wanted``: auto, copy, migrate or dump) and the
    target database when COPY crosses databases on one server."""
    a, b = source.identity(), target.identity()
    one_server = identity.same_server(a, b)
    if one_server and a & b and source.prefix == target.prefix:
        raise UsageError(
            f"'{source.name}' and '{target.name}' are the same keys "
            "(one server, database and key prefix): nothing to copy"
        )
    tls = [s.name for s in (source, target) if s.tls]
    if wanted == "auto":
        wanted = "copy" if one_server else ("dump" if tls else "migrate")
    if wanted == "copy" and not one_server:
        raise UsageError("--method copy needs both projects on one server (COPY stays in a server)")
    if wanted == "migrate" and one_server:
        raise UsageError(
            f"'{source.name}' and '{target.name}' are on one server: MIGRATE to itself "
            "would block it",
            hint="use --method copy (or auto)",
        )
    if wanted == "migrate" and tls:
        raise UsageError(
            f"MIGRATE would send the data between servers without TLS ({', '.join(tls)} uses TLS)",
            hint="use --method dump (or auto)",
        )
    target_db = target.db if wanted == "copy" and target.db != source.db else None
    return wanted, target_db


class Mover:
    """The copy steps of one run from ``source`` to ``target``."""

    def __init__(self, source: KeySpace, target: KeySpace, run: str, method: str, target_db: Any):
        self.source, self.target = source, target
        self.method, self.target_db = method, target_db
        self.base = target.prefix + STAGING + run.encode("ascii") + b":"
        self.cut = len(source.prefix)
        self.notes: list[str] = []
        self.ways: dict[str, int] = {}

    # -- reading the source --------------------------------------------------------

    def scan(
        self, at: dict[str, Any] | None, count: int
    ) -> tuple[dict[str, Any] | None, list[bytes]]:
        """One SCAN step of the source from ``at``: (where to go on, or None at the end; keys)."""
        nodes = self.source.nodes()
        names = [n.name for n in nodes]
        if at is None or at.get("nodes") != names:
            if at is not None:
                self.notes.append("the source's servers changed since the interruption: "
                                  "scanned again from the start")  # fmt: skip
            at = {"nodes": names, "node": 0, "cursor": 0}
        after, keys = self.source.scan(nodes[at["node"]], int(at["cursor"]), count)
        keys = [k for k in keys if not k[self.cut :].startswith(STAGING)]
        if after != 0:
            return {**at, "cursor": after}, keys
        if at["node"] + 1 < len(nodes):
            return {**at, "node": at["node"] + 1, "cursor": 0}, keys
        return None, keys

    def finals(self, keys: list[bytes]) -> list[bytes]:
        tp = self.target.prefix
        return [tp + k[self.cut :] for k in keys]

    def present(self, keys: list[bytes]) -> list[bool]:
        """Does each source key have its final name at the target?"""
        return self.target.exists(self.finals(keys))

    # -- planning a page --------------------------------------------------------------

    def plan(self, keys: list[bytes]) -> list[Item]:
        return [self._item(k) for k in keys]

    def _item(self, src: bytes, way: str | None = None) -> Item:
        rel = src[self.cut :]
        final = self.target.prefix + rel
        way = way or self.method
        slot = self._slot(src, final, way)
        stage = None if slot == -1 else staged_name(self.base, rel, slot)
        if stage is None and way != "dump":
            return self._item(src, "dump")
        if stage is None:
            raise ZenConfigError(
                f"the key prefix of '{self.target.name}' leaves no staging name in the slot "
                f"of {final!r} (an empty '{{}}' hash tag)",
                hint="choose a key prefix without '{}'",
            )
        return Item(src, stage, final, way)

    def _slot(self, src: bytes, final: bytes, way: str) -> int | None:
        """The slot the staging name must hash to (None: any); -1: not by this way."""
        s_cluster, t_cluster = self.source.cluster, self.target.cluster
        if way == "dump":
            return keyslot(final) if t_cluster else None
        if s_cluster and t_cluster:  # COPY on the source node, rename on the target node
            return keyslot(src) if keyslot(src) == keyslot(final) else -1
        if s_cluster:
            return keyslot(src)
        return keyslot(final) if t_cluster else None

    # -- staging -------------------------------------------------------------------------

    def stage(self, items: list[Item]) -> list[Item]:
        """Write each item under its staging name on the target; the items staged
        (a key gone from the source since the scan is left out)."""
        staged: list[Item] = []
        by_way: dict[str, list[Item]] = {}
        for item in items:
            by_way.setdefault(item.way, []).append(item)
        for way, group in by_way.items():
            staged += getattr(self, "_" + way)(group)
        for item in staged:
            self.ways[item.way] = self.ways.get(item.way, 0) + 1
        return staged

    def _copy(self, items: list[Item]) -> list[Item]:
        """COPY on the server holding each key (one server, or one Cluster)."""
        db = self.target_db

        def queue(pipe: Any, i: int) -> None:
            pipe.copy(items[i].src, items[i].stage, destination_db=db)

        replies = self.source.pipelined([i.src for i in items], queue, write=True)
        refused = next((r for r in replies if isinstance(r, Exception)), None)
        if refused is not None:
            return self._instead(items, refused, on_source=False)
        return [item for item, r in zip(items, replies, strict=True) if r]

    def _migrate(self, items: list[Item]) -> list[Item]:
        """COPY to the staging name on the source server, then MIGRATE node to node."""
        replies = self.source.pipelined(
            [i.src for i in items], lambda p, i: p.copy(items[i].src, items[i].stage), write=True
        )
        refused = next((r for r in replies if isinstance(r, Exception)), None)
        if refused is not None:
            return self._instead(items, refused, on_source=True)
        copied = [item for item, r in zip(items, replies, strict=True) if r]
        routes: dict[tuple[str, str], list[bytes]] = {}
        for item in copied:
            node = self.source.node_of_key(item.stage).name
            routes.setdefault((node, self.target.node_of_key(item.stage).name), []).append(
                item.stage
            )
        sources = {n.name: n for n in self.source.nodes()}
        targets = {n.name: n for n in self.target.nodes()}
        for (node, to), names in routes.items():
            refused = self._send(sources[node], targets[to], names)
            if refused is not None:
                return self._instead(items, refused, on_source=True)
        return copied

    def _send(self, node: Node, to: Node, names: list[bytes]) -> Exception | None:
        """MIGRATE ``names`` from ``node`` to ``to``, pipelined (a Cluster node moves
        one slot per MIGRATE); a refusal is returned, not raised."""
        import redis.exceptions as rex

        timeout = int(min(self.source.spec.socket_timeout, self.target.spec.socket_timeout) * 800)
        args: list[Any] = [to.host, to.port, "", self.target.db, max(timeout, 100)]
        user, password = self.target.credentials()
        if password:
            args += ["AUTH2", user or "default", password]
        groups: dict[int, list[bytes]] = {}
        for name in names:
            groups.setdefault(keyslot(name) if self.source.cluster else 0, []).append(name)

        def send() -> list[Any]:
            pipe = node.client.pipeline(transaction=False)
            for group in groups.values():
                pipe.execute_command("MIGRATE", *args, "KEYS", *group)
            return list(pipe.execute(raise_on_error=False))

        for reply in self.source.call(send, write=True):
            if isinstance(reply, rex.ResponseError):
                return reply  # IOERR, NOPERM, ...: the source cannot reach the target
            self.source.ok(reply, write=True)
        return None

    def _instead(self, items: list[Item], refused: Exception, on_source: bool) -> list[Item]:
        """A server refused COPY or MIGRATE (an ACL, no route between the servers, an
        old server): remove what this page staged, and go on by DUMP/RESTORE."""
        self.notes.append(f"{self.method} refused ({refused}): copied through this process")
        self.method = "dump"
        names = [i.stage for i in items]
        if on_source:
            self.source.delete(names)
        self.target.delete(names)
        return self._dump([self._item(i.src, "dump") for i in items])

    def _dump(self, items: list[Item]) -> list[Item]:
        """PTTL and DUMP from the source, RESTORE under the staging names on the target."""
        dumped = self.source.dump([i.src for i in items])
        live = [(item, pttl, data) for item, (pttl, data) in zip(items, dumped, strict=True)]
        live = [(item, pttl, data) for item, pttl, data in live if data is not None and pttl != -2]

        def queue(pipe: Any, i: int) -> None:
            item, pttl, data = live[i]
            pipe.restore(item.stage, max(pttl, 0), data)

        replies = self.target.pipelined([x[0].stage for x in live], queue, write=True)
        for reply in replies:
            self.target.ok(reply, write=True)
        return [x[0] for x in live]

    # -- into place ----------------------------------------------------------------------

    def taken(self, items: list[Item]) -> list[bool]:
        """Does each final name exist at the target already?"""
        return self.target.exists([i.final for i in items])

    def finalize(self, items: list[Item], replace: bool) -> tuple[list[Item], list[Item], int]:
        """Rename staged keys into place: (copied, kept because taken, gone meanwhile)."""

        def queue(pipe: Any, i: int) -> None:
            if replace:
                pipe.rename(items[i].stage, items[i].final)
            else:
                pipe.renamenx(items[i].stage, items[i].final)
                pipe.delete(items[i].stage)  # a no-op after a rename; the copy not needed

        width = 1 if replace else 2
        replies = self.target.pipelined([i.stage for i in items], queue, width, write=True)
        copied, kept, gone = [], [], 0
        for n, item in enumerate(items):
            reply = replies[n * width]
            if isinstance(reply, Exception) and "no such key" in str(reply).lower():
                gone += 1  # expired in the staging namespace
            elif self.target.ok(reply, write=True):
                copied.append(item)
            else:
                kept.append(item)
        return copied, kept, gone

    def discard(self, items: list[Item]) -> None:
        self.target.delete([i.stage for i in items])

    def drop(self, names: list[bytes], on_source: bool = False) -> None:
        """Delete staging names found by ``leftovers`` (target, or the source server)."""
        (self.source if on_source else self.target).delete(names)

    # -- what an interrupted run left ------------------------------------------------------

    def leftovers(self, on_source: bool = False) -> list[list[bytes]]:
        """Pages of names in this run's staging namespace, on the target (or the source)."""
        space = self.source if on_source else self.target
        pages: list[list[bytes]] = []
        for node in space.nodes():
            cursor = 0
            while True:
                cursor, names = space.scan(node, cursor, 1000, base=self.base)
                if names:
                    pages.append(list(names))
                if cursor == 0:
                    break
        return pages

    def recovered(self, names: list[bytes]) -> list[Item]:
        """Items for staging names found at the target (their page was staged in full)."""
        items = []
        for name in names:
            rel = unstaged(self.base, name)
            items.append(Item(self.source.prefix + rel, name, self.target.prefix + rel, "staged"))
        return items

    # -- verification --------------------------------------------------------------------

    def compare(self, pairs: list[tuple[bytes, bytes]]) -> list[tuple[bool, int, int]]:
        """Per (source, final) name: (same value, source PTTL, target PTTL)."""
        a = self.source.dump([s for s, _ in pairs])
        b = self.target.dump([f for _, f in pairs])
        return [(x[1] is not None and x[1] == y[1], x[0], y[0]) for x, y in zip(a, b, strict=True)]
