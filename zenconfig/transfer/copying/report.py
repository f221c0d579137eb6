"""What a copy reports, and the random sample its verification reads."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

Item = tuple[Any, ...]  # of bytes and str
T = TypeVar("T")


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
    """A uniform random sample of up to ``size`` items of a stream (algorithm L:
    the gap to the next replacement is drawn, so a long stream costs a few random
    numbers, not one per item), kept in the checkpoint so that a resumed run
    samples the whole copy."""

    def __init__(self, size: int, rng: random.Random | None = None) -> None:
        self.size = size
        self.items: list[Item] = []
        self.seen = 0
        self.rng = rng or random.Random()
        self.weight = math.exp(math.log(self._unit()) / size)
        self.next = size + self._gap()

    def _unit(self) -> float:
        return self.rng.random() or 1e-300

    def _gap(self) -> int:
        return int(math.log(self._unit()) / math.log1p(-self.weight)) + 1 if self.weight < 1 else 1

    def offer(self, item: Item) -> None:
        self.extend([item], lambda x: x)

    def extend(self, stream: Sequence[T], make: Callable[[T], Item]) -> None:
        """Offer every element of ``stream`` (as ``make(element)``)."""
        start = self.seen
        self.seen += len(stream)
        room = self.size - len(self.items)
        if room > 0:
            self.items += [make(x) for x in stream[:room]]
        while self.next <= self.seen:  # the next replacement falls in this stream
            self.items[self.rng.randrange(self.size)] = make(stream[self.next - start - 1])
            self.weight *= math.exp(math.log(self._unit()) / self.size)
            self.next += self._gap()

    def dump(self) -> dict[str, Any]:
        items = [[_encode(v) for v in item] for item in self.items]
        return {"seen": self.seen, "next": self.next, "weight": self.weight, "items": items}

    @classmethod
    def load(cls, data: dict[str, Any] | None, size: int) -> Reservoir:
        found = cls(size)
        if data:
            found.seen = int(data["seen"])
            found.items = [tuple(_decode(v) for v in item) for item in data["items"]][:size]
            found.next = int(data.get("next", found.seen + 1))
            found.weight = float(data.get("weight", found.weight))
        return found
