"""Key names for copy: Cluster slots as Redis computes them, staging and receipt
names that keep a slot, for any bytes (no server needed)."""

from __future__ import annotations

import random

import pytest
from redis.crc import key_slot

from zenconfig.storage.redis.slots import (
    glob_escape,
    keyslot,
    receipt_name,
    receipt_page,
    staged_name,
    unstaged,
)

NAMES = [b"", b"{", b"}", b"{}", b"a{}b", b"a{b}c", b"a{{b}}", b"{a}{b}", b"x}{y}z",
         "zen:проект:thread:{тред}:meta".encode(), b"\xff\x00{\xfe}"]  # fmt: skip


def _random_names(n: int) -> list[bytes]:
    rng = random.Random(7)
    return [bytes(rng.choice(b"ab{}:\xff") for _ in range(rng.randrange(12))) for _ in range(n)]


def test_keyslot_is_redis_keyslot() -> None:
    for name in NAMES + _random_names(2000):
        assert keyslot(name) == key_slot(name), name


@pytest.mark.parametrize(
    "base", [b"zen:b:zen-copy:r1:", "zen:цель:zen-copy:r1:".encode(), b"a{x:zen-copy:r1:"]
)
def test_staging_names_land_in_the_slot_asked_and_give_the_name_back(base: bytes) -> None:
    for rel in NAMES + _random_names(300):
        for slot in (None, 0, 5, 16383, keyslot(b"zen:b:" + rel)):
            name = staged_name(base, rel, slot)
            assert name is not None and name.startswith(base)
            assert slot is None or keyslot(name) == slot
            assert unstaged(base, name) == rel
            assert receipt_page(base, name) is None


def test_a_base_with_its_own_tag_cannot_move_a_slot() -> None:
    base = b"zen:{p}:zen-copy:r1:"
    assert staged_name(base, b"k", keyslot(b"p")) is not None
    assert staged_name(base, b"k", (keyslot(b"p") + 1) % 16384) is None


def test_receipts_are_not_staging_names() -> None:
    base = b"zen:b:zen-copy:r1:"
    for page in (1, 7, 12345):
        for slot in (None, 3, 9000):
            name = receipt_name(base, page, slot)
            assert name is not None and receipt_page(base, name) == page
            assert slot is None or keyslot(name) == slot


def test_glob_escape_makes_a_literal() -> None:
    assert glob_escape(b"a*b?[c]\\d:") == b"a\\*b\\?\\[c\\]\\\\d:"
