"""What a copy reports, and the random sample its verification reads."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

Item = tuple[Any, ...]  # of bytes and str


@dataclass
class CopyReport:
    """Counts of one run (a resumed run counts what the interrupted one did too).

    ``copied``: written by this run (``replaced`` of them over an existing
    key); ``skipped``: existing at the target and kept; ``vanished``: gone
    from the source (expired) between reading and writing; ``unsupported``:
    keys the target cannot hold. For ``store`` copies ``threads`` and ``keys``
    split ``copied``.
    """

    source: str
    target: str
    method: str
    scanned: int = 0
    copied: int = 0
    skipped: int = 0
    replaced: int = 0
    vanished: int = 0
    unsupported: int = 0
    threads: int = 0
    keys: int = 0
    resumed: bool = False
    dry_run: bool = False
    seconds: float = 0.0
    ways: dict[str, int] = field(default_factory=dict)
    conflicts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    verified: dict[str, Any] = field(default_factory=dict)

    COUNTS = ("scanned", "copied", "skipped", "replaced", "vanished", "unsupported", "threads",
              "keys")  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.COUNTS}

    def restore(self, counts: dict[str, Any]) -> None:
        for name in self.COUNTS:
            setattr(self, name, int(counts.get(name, 0)))


def _encode(value: Any) -> str:
    return "b:" + value.hex() if isinstance(value, bytes) else "s:" + str(value)


def _decode(text: str) -> Any:
    return bytes.fromhex(text[2:]) if text.startswith("b:") else text[2:]


class Reservoir:
    """A uniform random sample of up to ``size`` items of a stream (algorithm R),
    kept in the checkpoint so that a resumed run samples the whole copy."""

    def __init__(self, size: int, rng: random.Random | None = None) -> None:
        self.size = size
        self.items: list[Item] = []
        self.seen = 0
        self.rng = rng or random.Random()

    def offer(self, item: Item) -> None:
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append(item)
            return
        slot = self.rng.randrange(self.seen)
        if slot < self.size:
            self.items[slot] = item

    def dump(self) -> dict[str, Any]:
        return {"seen": self.seen, "items": [[_encode(v) for v in item] for item in self.items]}

    @classmethod
    def load(cls, data: dict[str, Any] | None, size: int) -> Reservoir:
        found = cls(size)
        if data:
            found.seen = int(data["seen"])
            found.items = [tuple(_decode(v) for v in item) for item in data["items"]][:size]
        return found
