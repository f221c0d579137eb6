"""copying.report: a run's counts survive a checkpoint, and the reservoir samples uniformly."""

from __future__ import annotations

import json
import random

import pytest

from zenconfig.transfer.copying.report import CopyReport, Reservoir


def test_counts_round_trip_through_json_and_restore_defaults_to_zero() -> None:
    report = CopyReport("a", "b", "dump", scanned=9, copied=5, skipped=3, replaced=1, vanished=1)
    report.ways["dump"] = 5
    counts = json.loads(json.dumps(report.counts()))
    assert set(counts) == set(CopyReport.COUNTS)
    again = CopyReport("a", "b", "dump", copied=100, threads=7)
    again.restore(counts)
    assert again.counts() == report.counts()  # every count replaced, threads back to 0
    again.restore({"copied": "12"})  # what a checkpoint holds is taken as a whole number
    assert (again.copied, again.scanned, again.skipped) == (12, 0, 0)
    whole = report.as_dict()
    assert whole["ways"] == {"dump": 5} and whole["source"] == "a" and whole["verified"] == {}
    assert "COUNTS" not in whole


def test_a_short_stream_is_kept_whole_and_in_order() -> None:
    reservoir = Reservoir(10, random.Random(3))
    reservoir.extend(list(range(4)), lambda i: (f"k{i}".encode(), "x"))
    reservoir.offer((b"k4", "x"))
    reservoir.extend([5, 6], lambda i: (f"k{i}".encode(), "x"))
    assert reservoir.items == [(f"k{i}".encode(), "x") for i in range(7)]
    assert reservoir.seen == 7


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000], ids=["offer", "small", "page", "one-call"])
def test_every_item_is_equally_likely_to_be_sampled_however_the_stream_is_cut(chunk: int) -> None:
    """Inclusion counts over many seeded runs: each of 60 items is kept in 6 of 60
    slots, so about 10% of 3,000 runs (300; the bounds are 5 standard deviations)."""
    n, size, runs = 60, 6, 3000
    hits = [0] * n
    for seed in range(runs):
        reservoir = Reservoir(size, random.Random(seed))
        for start in range(0, n, chunk):
            reservoir.extend(list(range(start, min(n, start + chunk))), lambda i: (i,))
        assert len(reservoir.items) == size and reservoir.seen == n
        assert len({item for (item,) in reservoir.items}) == size  # no item twice
        for (item,) in reservoir.items:
            hits[item] += 1
    assert min(hits) > 218 and max(hits) < 382, hits


def test_dump_and_load_keep_bytes_and_text_apart_and_the_sample_going() -> None:
    reservoir = Reservoir(3, random.Random(5))
    reservoir.extend([b"\xff\x00raw", b"b:looks-encoded"], lambda b: (b, "s:text", "t"))
    saved = json.loads(json.dumps(reservoir.dump()))  # as the checkpoint keeps it
    again = Reservoir.load(saved, 3)
    assert again.items == reservoir.items
    assert (again.seen, again.next, again.weight) == (reservoir.seen, reservoir.next,
                                                      reservoir.weight)  # fmt: skip
    again.extend(list(range(100)), lambda i: (b"%d" % i, "t"))
    assert again.seen == 102 and len(again.items) == 3
    assert Reservoir.load(saved, 1).items == reservoir.items[:1]  # a smaller sample now
    fresh = Reservoir.load(None, 4)
    assert (fresh.items, fresh.seen) == ([], 0)
