"""Copy steps between two Redis key spaces: stage a page, rename it into place, sweep.

Every key a run writes is first written under the run's staging namespace on
the target, ``<target prefix>zen-copy:<run>:``, and then renamed into place
on the same node (RENAMENX for skip, RENAME for replace): names outside that
namespace are only ever written by the rename. How a key reaches its staging
name (``Item.way``):

- ``copy``: one server (or one Cluster): ``COPY key staged [DB n]``;
- ``dump`` (two servers): ``PTTL``/``DUMP`` from the source, ``RESTORE`` on
  the target; the next page is read while this one is written, so both
  servers (and every Cluster node) work at once;
- ``migrate`` (two servers, when asked: the values never pass through this
  process, for a zen far from both servers): ``COPY`` to the staging name on
  the source server, then ``MIGRATE`` those names to the node that serves
  them; the source is busy for the whole transfer of each page.

Each step is one ``bulk`` script per node (a Cluster key goes to the node of
its slot); a staging name keeps the slot of its final name (``slots``), and
a key whose source and final slots differ goes by ``dump`` when COPY would
have to cross slots. A MIGRATE or COPY the source refuses (an ACL, no route
between the servers) switches the run to ``dump``; what it had staged is
removed first. The renames of a page on a node are one script, which also
leaves a receipt (``<namespace>!<page>``: copied, kept, replaced, gone), so
a run killed mid-page knows exactly what each node did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ... import identity
from ...errors import UsageError, ZenConfigError
from .slots import keyslot, receipt_name, receipt_page, staged_name, unstaged

if TYPE_CHECKING:
    from .moving import KeySpace, Node

STAGING = b"zen-copy:"  # relative names under it are a copy's staging area, never data


@dataclass
class Item:
    """One key on its way: source name, staging name, final name, how it travels,
    the slot of the source key and of the staging (and final) name."""

    src: bytes
    stage: bytes
    final: bytes
    way: str
    src_slot: int = 0
    slot: int = 0


@dataclass
class Outcome:
    """What the renames of a page (or what a killed run left of it) did."""

    copied: list[Item]
    kept: list[Item]
    replaced: int = 0
    gone: int = 0
    counted: tuple[int, int, int, int] = (0, 0, 0, 0)  # from receipts: copied, kept, replaced, gone


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
    if wanted == "auto":  # two servers: DUMP/RESTORE reads ahead while the target writes
        wanted = "copy" if one_server else "dump"
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


def _refusal(step: Callable[[], str]) -> tuple[str, Exception | None]:
    """Run a step; a command the server refused (not a lost server) is returned."""
    import redis.exceptions as rex

    try:
        return step(), None
    except ZenConfigError as e:
        if isinstance(e.__cause__, rex.ResponseError):
            return "", e.__cause__
        raise


class Mover:
    """The copy steps of one run from ``source`` to ``target``."""

    def __init__(self, source: KeySpace, target: KeySpace, run: str, method: str, target_db: Any):
        self.source, self.target = source, target
        self.method, self.target_db = method, target_db
        self.base = target.prefix + STAGING + run.encode("ascii") + b":"
        self.cut = len(source.prefix)
        self.notes: list[str] = []
        self.ways: dict[str, int] = {}
        self.receipts: dict[str, int] = {}  # node -> the page whose receipt it holds

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
        src_slot = keyslot(src) if self.source.cluster else 0
        slot = keyslot(final) if self.target.cluster else 0
        want = self._slot(src_slot, slot, way)
        stage = None if want == -1 else staged_name(self.base, rel, want)
        if stage is None and way != "dump":
            return self._item(src, "dump")
        if stage is None:
            raise ZenConfigError(
                f"the key prefix of '{self.target.name}' leaves no staging name in the slot "
                f"of {final!r} (an empty '{{}}' hash tag)",
                hint="choose a key prefix without '{}'",
            )
        return Item(src, stage, final, way, src_slot, slot)

    def _slot(self, src_slot: int, slot: int, way: str) -> int | None:
        """The slot the staging name must hash to (None: any); -1: not by this way."""
        s_cluster, t_cluster = self.source.cluster, self.target.cluster
        if way == "dump":
            return slot if t_cluster else None
        if s_cluster and t_cluster:  # COPY on the source node, rename on the target node
            return src_slot if src_slot == slot else -1
        if s_cluster:
            return src_slot
        return slot if t_cluster else None

    # -- staging -------------------------------------------------------------------------

    def read(self, items: list[Item]) -> Any:
        """What staging needs from the source beforehand (the DUMP of the items that
        go by ``dump``): a read only, so it may run ahead of the writes."""
        dumps = [i for i in items if i.way == "dump"]
        return self.source.dump([i.src for i in dumps]) if dumps else None

    def stage(self, items: list[Item], read: Any = None) -> list[Item]:
        """Write each item under its staging name on the target (``read``: what
        ``read(items)`` returned); the items staged (a key gone from the source since
        the scan is left out)."""
        staged: list[Item] = []
        by_way: dict[str, list[Item]] = {}
        for item in items:
            by_way.setdefault(item.way, []).append(item)
        for way, group in by_way.items():
            if way == "dump":
                staged += self._dump(group, read)
            else:
                staged += getattr(self, "_" + way)(group)
        for item in staged:
            self.ways[item.way] = self.ways.get(item.way, 0) + 1
        return staged

    def _copy_on_source(self, items: list[Item], db: Any) -> tuple[str, Exception | None]:
        return _refusal(
            lambda: self.source.codes(
                "COPY",
                [i.src_slot for i in items],
                lambda n: [items[n].src, items[n].stage],
                ["" if db is None else db],
                write=True,
            )
        )

    def _copy(self, items: list[Item]) -> list[Item]:
        """COPY on the server holding each key (one server, or one Cluster)."""
        codes, refused = self._copy_on_source(items, self.target_db)
        if refused is not None:
            return self._instead(items, refused, on_source=False)
        return [item for item, code in zip(items, codes, strict=True) if code == "1"]

    def _migrate(self, items: list[Item]) -> list[Item]:
        """COPY to the staging name on the source server, then MIGRATE node to node."""
        codes, refused = self._copy_on_source(items, None)
        if refused is not None:
            return self._instead(items, refused, on_source=True)
        copied = [item for item, code in zip(items, codes, strict=True) if code == "1"]
        routes: dict[tuple[str, str], tuple[Node, Node, list[Item]]] = {}
        for item in copied:
            node, to = self.source.node_of(item.src_slot), self.target.node_of(item.slot)
            routes.setdefault((node.name, to.name), (node, to, []))[2].append(item)
        for node, to, group in routes.values():
            refused = self._send(node, to, group)
            if refused is not None:
                return self._instead(items, refused, on_source=True)
        return copied

    def _send(self, node: Node, to: Node, items: list[Item]) -> Exception | None:
        """MIGRATE the staged names from ``node`` to ``to``, pipelined (a Cluster node
        moves one slot per MIGRATE); a refusal is returned, not raised."""
        import redis.exceptions as rex

        timeout = int(min(self.source.spec.socket_timeout, self.target.spec.socket_timeout) * 800)
        args: list[Any] = [*self.target.address(to), "", self.target.db, max(timeout, 100)]
        user, password = self.target.credentials()
        if password:
            args += ["AUTH2", user or "default", password]
        groups: dict[int, list[bytes]] = {}
        for item in items:
            groups.setdefault(item.src_slot, []).append(item.stage)

        def send() -> list[Any]:
            pipe = node.client.pipeline(transaction=False)
            for names in groups.values():
                pipe.execute_command("MIGRATE", *args, "KEYS", *names)
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
        if on_source:  # a user that may not write there made nothing there either
            _refusal(lambda: str(self.source.delete(names)))
        self.target.delete(names)
        return self._dump([self._item(i.src, "dump") for i in items])

    def _dump(self, items: list[Item], dumped: Any = None) -> list[Item]:
        """PTTL and DUMP from the source (unless given), RESTORE under the staging
        names on the target."""
        if dumped is None:
            dumped = self.source.dump([i.src for i in items])
        live = [(i, pttl, data) for i, (pttl, data) in zip(items, dumped, strict=True) if data]
        self.target.each(
            "RESTORE",
            [item.slot for item, _, _ in live],
            lambda n: [live[n][0].stage, max(live[n][1], 0), live[n][2]],
            write=True,
        )
        return [item for item, _, _ in live]

    # -- into place ----------------------------------------------------------------------

    def taken(self, items: list[Item]) -> list[bool]:
        """Does each final name exist at the target already?"""
        return self.target.exists([i.final for i in items])

    def receipt(self, page: int, node: Node) -> bytes:
        name = receipt_name(self.base, page, self.target.first_slot(node))
        if name is None:  # only a prefix with an empty '{}' tag, refused when planning
            raise ZenConfigError(f"no place for a receipt at {self.target.name}")
        return name

    def finalize(self, items: list[Item], replace: bool, page: int | None) -> Outcome:
        """Rename staged keys into place; each node leaves its receipt for ``page``
        and drops the one of the page before (``page`` None: no receipts)."""

        def receipts(node: Node) -> list[Any]:
            if page is None:
                return ["", ""]
            before = self.receipts.get(node.name)
            self.receipts[node.name] = page
            return [self.receipt(page, node), "" if before is None else self.receipt(before, node)]

        outcome = Outcome([], [])
        for positions, reply in self.target.each(
            "RENAME",
            [i.slot for i in items],
            lambda n: [items[n].stage, items[n].final],
            ["1" if replace else "0"],
            write=True,
            per_node=receipts,
        ):
            for i, code in zip(positions, reply.decode("ascii"), strict=True):
                if code in "12":
                    outcome.copied.append(items[i])
                    outcome.replaced += code == "2"
                elif code == "0":
                    outcome.kept.append(items[i])
                else:
                    outcome.gone += 1
        return outcome

    def discard(self, items: list[Item]) -> None:
        self.target.delete([i.stage for i in items])

    def drop(self, names: list[bytes], on_source: bool = False) -> None:
        """Delete names found by ``leftovers`` (target, or the source server)."""
        (self.source if on_source else self.target).delete(names)

    def done(self) -> None:
        """The run is over: remove the receipts its last pages left."""
        nodes = {n.name: n for n in self.target.nodes()}
        self.target.delete([self.receipt(p, nodes[name]) for name, p in self.receipts.items()])
        self.receipts.clear()

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

    def recover(self, replace: bool, page: int) -> Outcome:
        """Finish a page that was staged in full when the run was killed: what the
        nodes had renamed already is read from their receipts (``counted``); what
        is still staged is renamed now."""
        names = [name for found in self.leftovers() for name in found]
        staged = [n for n in names if receipt_page(self.base, n) is None]
        receipts = [n for n in names if receipt_page(self.base, n) is not None]
        counted = [0, 0, 0, 0]
        for name in receipts:
            if receipt_page(self.base, name) == page:
                counted = [a + b for a, b in zip(counted, self._read(name), strict=True)]
        self.target.delete(receipts)
        outcome = self.finalize([self._recovered(n) for n in staged], replace, None)
        outcome.counted = (counted[0], counted[1], counted[2], counted[3])
        return outcome

    def _read(self, name: bytes) -> list[int]:
        node = self.target.node_of(keyslot(name) if self.target.cluster else 0)
        text = self.target.call(lambda: node.client.get(name)) or b"0 0 0 0"
        return [int(x) for x in text.split()[:4]]

    def _recovered(self, name: bytes) -> Item:
        rel = unstaged(self.base, name)
        slot = keyslot(name) if self.target.cluster else 0
        return Item(self.source.prefix + rel, name, self.target.prefix + rel, "staged", 0, slot)

    # -- verification --------------------------------------------------------------------

    def compare(self, pairs: list[tuple[bytes, bytes]]) -> list[tuple[bool, int, int]]:
        """Per (source, final) name: (same value, source PTTL, target PTTL)."""
        a = self.source.dump([s for s, _ in pairs])
        b = self.target.dump([f for _, f in pairs])
        return [(x[1] is not None and x[1] == y[1], x[0], y[0]) for x, y in zip(a, b, strict=True)]
