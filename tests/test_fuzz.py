"""Property-based fuzz of the loader: any bytes, any JSON/TOML shape -> a valid
config or a ConfigError that names where; never another exception."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zenconfig import configfile
from zenconfig.errors import ConfigError

KEYS = [
    "version",
    "storage",
    "type",
    "fallback",
    "redis",
    "default",
    "connections",
    "p1",
    "p2",
    "host",
    "port",
    "db",
    "username",
    "password",
    "source",
    "env",
    "command",
    "service",
    "key_prefix",
    "conversation_ttl_seconds",
    "max_turns",
    "tls",
    "enabled",
    "verify",
    "timeouts",
    "connect_seconds",
    "pool",
    "mode",
    "sentinels",
    "nodes",
    "$schema",
    "bogus",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.sampled_from(["memory", "redis", "error", "keyring", "sentinel", "cluster", "p1", "zen:"]),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), children, max_size=5),
    ),
    max_leaves=25,
)
DOCS = st.fixed_dictionaries(
    {"version": st.one_of(st.just(1), SCALARS)},
    optional={"storage": VALUES, "$schema": SCALARS, "bogus": SCALARS},
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"config{suffix}"
        path.write_bytes(data)
        try:
            configfile.load(path)
        except ConfigError as e:
            assert str(path) in str(e)
            if e.message.startswith("invalid config"):
                assert e.details and all(": " in line for line in e.details)


@FUZZ
@given(st.binary(max_size=300), st.sampled_from([".json", ".toml"]))
def test_any_bytes(data: bytes, suffix: str) -> None:
    _load(data, suffix)


@FUZZ
@given(DOCS)
def test_any_json_shape(doc: dict[str, object]) -> None:
    _load(json.dumps(doc).encode(), ".json")


@FUZZ
@given(DOCS)
def test_any_toml_shape(doc: dict[str, object]) -> None:
    try:
        data = tomli_w.dumps(configfile.drop_none(doc)).encode()
    except (TypeError, ValueError):
        return  # not representable in TOML
    _load(data, ".toml")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(DOCS)
def test_cli_validate_never_shows_a_traceback(zen, doc: dict[str, object]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "config.json"
        path.write_text(json.dumps(doc))
        r = zen("config", "validate", str(path))
        assert r.code in (0, 3), r
        assert "Traceback" not in r.err
        if r.code == 3:
            assert r.err.startswith("zen: error: ") and str(path) in r.err
