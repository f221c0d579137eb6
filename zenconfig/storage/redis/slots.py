"""Key names as bytes for copy: Cluster hash slots, glob escapes and staging names.

A copy writes each key first under a staging name unique to the run, then
renames it into place on the same node. In a Cluster a rename stays in one
slot, so a staging name must hash to the slot of the final name (or, when it
is made by COPY on the source node, to the source key's slot too).
``staged_name`` keeps the plain name when its slot already fits, and
otherwise adds a hash tag chosen for that slot. Every name here is bytes: a
prefix is cut by its byte length, never by characters.
"""

from __future__ import annotations

import re
import threading
from binascii import crc_hqx

SLOTS = 16384
_GLOB = re.compile(rb"([*?\[\]\\])")


def keyslot(key: bytes) -> int:
    """The Cluster slot of ``key`` (CRC16 of its hash tag, as Redis computes it)."""
    start = key.find(b"{")
    if start > -1:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1 : end]
    return crc_hqx(key, 0) % SLOTS


def glob_escape(prefix: bytes) -> bytes:
    """``prefix`` as a literal in a SCAN MATCH pattern."""
    return _GLOB.sub(rb"\\\1", prefix)


class _Tags:
    """Tags (hex numbers, no braces) by the slot that ``lead + tag`` hashes to."""

    def __init__(self, lead: bytes) -> None:
        self.lead = lead
        self.found: dict[int, bytes] = {}
        self.next = 0

    def for_slot(self, slot: int) -> bytes:
        found = self.found.get(slot)
        if found is not None:
            return found
        with _LOCK:
            while slot not in self.found:  # about 170,000 CRCs to cover every slot, once
                tag = b"%x" % self.next
                self.next += 1
                self.found.setdefault(crc_hqx(self.lead + tag, 0) % SLOTS, tag)
            return self.found[slot]


_TAGS: dict[bytes, _Tags] = {}
_LOCK = threading.Lock()


def _lead(base: bytes) -> bytes | None:
    """What Redis hashes before a tag appended to ``base`` (None: the tag would not count)."""
    start = base.find(b"{")
    if start == -1:
        return b""
    if base.find(b"}", start + 1) != -1:
        return None  # base has its own (or an empty) tag: the slot is not ours to pick
    return base[start + 1 :] + b"{"


def _place(plain: bytes, head: bytes, tail: bytes, slot: int | None) -> bytes | None:
    """``plain`` when it lands in ``slot``, else ``head{tag}tail`` with a tag for it."""
    if slot is None or keyslot(plain) == slot:
        return plain
    lead = _lead(head)
    if lead is None:
        return None
    tags = _TAGS.get(lead) or _TAGS.setdefault(lead, _Tags(lead))
    return head + b"{" + tags.for_slot(slot) + b"}" + tail


def staged_name(base: bytes, rel: bytes, slot: int | None) -> bytes | None:
    """The staging name of ``rel`` under ``base``, in ``slot`` when one is given:
    ``base.rel`` or ``base{tag}rel``. None when no name under ``base`` can land in
    ``slot`` (the caller then takes a path that does not need it)."""
    return _place(base + b"." + rel, base, rel, slot)


def receipt_name(base: bytes, page: int, slot: int | None) -> bytes | None:
    """Where a node notes what a page's renames did: ``base!N`` or ``base!{tag}N``
    (never a staging name: those go on with '.' or '{')."""
    number = b"%d" % page
    return _place(base + b"!" + number, base + b"!", number, slot)


def receipt_page(base: bytes, name: bytes) -> int | None:
    """The page of a receipt name, None for a staging name."""
    rest = name[len(base) :]
    if rest[:1] != b"!":
        return None
    rest = rest[1:]
    if rest[:1] == b"{" and b"}" in rest:
        rest = rest[rest.index(b"}") + 1 :]
    return int(rest) if rest.isdigit() else -1  # bytes: ASCII digits only


def unstaged(base: bytes, name: bytes) -> bytes:
    """The relative name inside a staging name made by ``staged_name``."""
    rest = name[len(base) :]
    if rest[:1] == b".":
        return rest[1:]
    if rest[:1] == b"{" and b"}" in rest:
        return rest[rest.index(b"}") + 1 :]
    raise ValueError(f"not a staging name: {name!r}")
