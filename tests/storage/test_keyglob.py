"""zenconfig.storage.keyglob: Redis glob patterns read the way Redis reads them, checked
against a real server's KEYS on every key of a small alphabet, for generated patterns."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import servers
from zenconfig.storage.keyglob import glob, literal_prefix

ALPHABET = "ab-]^\\"
KEYS = ["".join(p) for n in range(4) for p in itertools.product(ALPHABET, repeat=n)]


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    import redis

    server = servers.start(tmp_path_factory.mktemp("keyglob"))
    client = redis.Redis(port=server.port)
    prefix = f"kg{uuid.uuid4().hex[:6]}:"
    client.mset({prefix + key: 1 for key in KEYS})
    yield client, prefix
    client.close()
    server.stop()


def _redis(oracle: tuple[object, str], pattern: str) -> list[str]:
    client, prefix = oracle
    found = client.keys(prefix + pattern)  # type: ignore[attr-defined]
    return sorted(key.decode()[len(prefix) :] for key in found)


def _ours(pattern: str) -> list[str]:
    matches = glob(pattern).match
    return sorted(key for key in KEYS if matches(key))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet="ab-]^[\\*?", max_size=7))
def test_every_pattern_matches_what_redis_matches(oracle: tuple[object, str], pattern: str) -> None:
    assert _ours(pattern) == _redis(oracle, pattern)


@pytest.mark.parametrize(
    "pattern",
    ["a[b-]", "[]a", "[^]", "a[", "[\\", "\\", "a\\", "[a-]]", "[]-a]", "[z-a]", "*\\*", "[^a-b]?"],
)
def test_the_edges_of_classes_and_escapes(oracle: tuple[object, str], pattern: str) -> None:
    assert _ours(pattern) == _redis(oracle, pattern)


def test_a_key_is_matched_whole_and_regex_characters_are_literal() -> None:
    assert glob("a.c").match("a.c") and not glob("a.c").match("abc")
    assert not glob("ab").match("abc")
    assert glob("a(b)+").match("a(b)+")
    assert glob("*").match("line\nbreak")  # any character, newlines too


def test_the_literal_prefix_stops_at_the_first_special_character() -> None:
    assert literal_prefix("thread:{ab}:*") == "thread:{ab}:"
    assert literal_prefix("a?b") == "a"
    assert literal_prefix("a[b]") == "a"
    assert literal_prefix("a\\*") == "a"
    assert literal_prefix("plain") == "plain"
