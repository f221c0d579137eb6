"""How a key reaches its staging name at the target (``Item.way``), for ``mover``.

- ``copy`` (one server, or one Cluster): ``COPY key staged [DB n]`` on the
  server holding the key;
- ``dump`` (two servers): ``PTTL``/``DUMP`` from the source (``Mover.read``,
  which may run a page ahead), ``RESTORE`` under the staging name on the node
  that serves it;
- ``migrate`` (two servers, when asked: the values never pass through this
  process): ``COPY`` to the staging name on the source server, then
  ``MIGRATE`` those names node to node, pipelined (a Cluster source moves one
  slot per MIGRATE); the source is busy for the whole transfer of a page.

A COPY or MIGRATE the source refuses (an ACL that keeps the user to its own
prefix, no route between the servers, a server without COPY) switches the
run to ``dump``; what the page had staged is removed first. Each function
returns the items staged (a key gone from the source since the scan is left
out).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...errors import ZenConfigError

if TYPE_CHECKING:
    from .mover import Mover
    from .moving import Node


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


def refusal(step: Callable[[], str]) -> tuple[str, Exception | None]:
    """Run a step; a command the server refused (not a lost server) is returned."""
    import redis.exceptions as rex

    try:
        return step(), None
    except ZenConfigError as e:
        if isinstance(e.__cause__, rex.ResponseError):
            return "", e.__cause__
        raise


def _copy_on_source(m: Mover, items: list[Item], db: Any) -> tuple[str, Exception | None]:
    return refusal(
        lambda: m.source.codes(
            "COPY",
            [i.src_slot for i in items],
            lambda n: [items[n].src, items[n].stage],
            ["" if db is None else db],
            write=True,
        )
    )


def by_copy(m: Mover, items: list[Item]) -> list[Item]:
    """COPY on the server holding each key (one server, or one Cluster)."""
    codes, refused = _copy_on_source(m, items, m.target_db)
    if refused is not None:
        return _instead(m, items, refused, on_source=False)
    return [item for item, code in zip(items, codes, strict=True) if code == "1"]


def by_migrate(m: Mover, items: list[Item]) -> list[Item]:
    """COPY to the staging name on the source server, then MIGRATE node to node."""
    codes, refused = _copy_on_source(m, items, None)
    if refused is not None:
        return _instead(m, items, refused, on_source=True)
    copied = [item for item, code in zip(items, codes, strict=True) if code == "1"]
    routes: dict[tuple[str, str], tuple[Node, Node, list[Item]]] = {}
    for item in copied:
        node, to = m.source.node_of(item.src_slot), m.target.node_of(item.slot)
        routes.setdefault((node.name, to.name), (node, to, []))[2].append(item)
    for node, to, group in routes.values():
        refused = _send(m, node, to, group)
        if refused is not None:
            return _instead(m, items, refused, on_source=True)
    return copied


def _send(m: Mover, node: Node, to: Node, items: list[Item]) -> Exception | None:
    """MIGRATE the staged names from ``node`` to ``to``, pipelined (a Cluster node
    moves one slot per MIGRATE); a refusal is returned, not raised."""
    import redis.exceptions as rex

    timeout = int(min(m.source.spec.socket_timeout, m.target.spec.socket_timeout) * 800)
    args: list[Any] = [*m.target.address(to), "", m.target.db, max(timeout, 100)]
    user, password = m.target.credentials()
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

    for reply in m.source.call(send, write=True):
        if isinstance(reply, rex.ResponseError):
            return reply  # an I/O error, an ACL, ...: the source cannot reach the target
        m.source.ok(reply, write=True)
    return None


def _instead(m: Mover, items: list[Item], refused: Exception, on_source: bool) -> list[Item]:
    """A server refused COPY or MIGRATE (an ACL, no route between the servers, an
    old server): remove what this page staged, and go on by DUMP/RESTORE."""
    m.notes.append(f"{m.method} refused ({refused}): copied through this process")
    m.method = "dump"
    names = [i.stage for i in items]
    if on_source:  # a user that may not write there made nothing there either
        refusal(lambda: str(m.source.delete(names)))
    m.target.delete(names)
    return by_dump(m, [m.item(i.src, "dump") for i in items])


def by_dump(m: Mover, items: list[Item], dumped: Any = None) -> list[Item]:
    """PTTL and DUMP from the source (unless given), RESTORE under the staging
    names on the target."""
    if dumped is None:
        dumped = m.source.dump([i.src for i in items])
    live = [(i, pttl, data) for i, (pttl, data) in zip(items, dumped, strict=True) if data]
    m.target.each(
        "RESTORE",
        [item.slot for item, _, _ in live],
        lambda n: [live[n][0].stage, max(live[n][1], 0), live[n][2]],
        write=True,
    )
    return [item for item, _, _ in live]
