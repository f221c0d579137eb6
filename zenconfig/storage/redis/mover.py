"""Copy steps between two Redis key spaces: stage a page, rename it into place, sweep.

Every key a run writes is first written under the run's staging namespace on
the target, ``<target prefix>zen-copy:<run>:`` (how it gets there: the ways
of ``staging``), and then renamed into place on the same node (RENAMENX for
skip, RENAME for replace): names outside that namespace are only ever
written by the rename. Each step is one ``bulk`` script per node (a Cluster
key goes to the node of its slot); a staging name keeps the slot of its
final name (``slots``), and a key whose source and final slots differ goes
by ``dump`` when COPY would have to cross slots. The renames of a page on a
node are one script, which also leaves a receipt (``<namespace>!<page>``:
copied, kept, replaced, gone), so a run killed mid-page knows exactly what
each node did. The protocol around these steps is ``transfer.copying.keys``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ... import identity
from ...errors import UsageError, ZenConfigError
from ..base import INDEX_BOOKKEEPING
from . import staging
from .slots import keyslot, receipt_name, receipt_page, staged_name, unstaged
from .staging import Item

if TYPE_CHECKING:
    from .moving import KeySpace, Node

STAGING = b"zen-copy:"  # relative names under it are a copy's staging area, never data
# what a copy never carries: staging areas, and the index's own bookkeeping (its marker,
# probe and reindex checkpoint describe the source's keyspace, not the target's); the
# index sets themselves are copied and rebuilt when they meet the target's
PRIVATE = (STAGING, *(name.encode() for name in INDEX_BOOKKEEPING))


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
        keys = [k for k in keys if not k[self.cut :].startswith(PRIVATE)]
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
        return [self.item(k) for k in keys]

    def item(self, src: bytes, way: str | None = None) -> Item:
        """How ``src`` travels (``way``, default the run's method) and its names."""
        rel = src[self.cut :]
        final = self.target.prefix + rel
        way = way or self.method
        src_slot = keyslot(src) if self.source.cluster else 0
        slot = keyslot(final) if self.target.cluster else 0
        want = self._slot(src_slot, slot, way)
        stage = None if want == -1 else staged_name(self.base, rel, want)
        if stage is None and way != "dump":
            return self.item(src, "dump")
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
                staged += staging.by_dump(self, group, read)
            else:
                staged += (
                    staging.by_copy(self, group)
                    if way == "copy"
                    else staging.by_migrate(self, group)
                )
        for item in staged:
            self.ways[item.way] = self.ways.get(item.way, 0) + 1
        return staged

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
        same = [x[1] is not None and x[1] == y[1] for x, y in zip(a, b, strict=True)]
        # equal data may dump otherwise (a hash table's order): told by the data itself
        laid = [i for i, x in enumerate(same) if not x and a[i][1] and b[i][1]]
        if laid:
            left = self.source.contents([pairs[i][0] for i in laid])
            right = self.target.contents([pairs[i][1] for i in laid])
            for i, x, y in zip(laid, left, right, strict=True):
                same[i] = x is not None and x == y
        return [(s, x[0], y[0]) for s, x, y in zip(same, a, b, strict=True)]
