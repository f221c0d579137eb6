"""The pydantic-free fast check never accepts what the models reject."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from tests.conftest import FIXTURES, ROOT
from tests.test_fuzz import DOCS
from zenconfig import fastcheck, schema
from zenconfig.models import Config, Connection


def _pydantic_accepts(doc: object) -> bool:
    try:
        Config.model_validate(doc)
    except ValidationError:
        return False
    return True


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCS)
def test_fast_yes_implies_model_yes(doc: dict[str, object]) -> None:
    if fastcheck.certainly_valid(doc):
        assert _pydantic_accepts(doc), doc


def test_it_is_not_just_saying_no() -> None:
    good = json.loads((FIXTURES / "design-example.json").read_text())
    assert fastcheck.certainly_valid(good)
    for path in (FIXTURES / "malformed").glob("*.json"):
        try:
            doc = json.loads(path.read_text())
        except (ValueError, RecursionError):  # not JSON, or not within Python's limits
            continue
        assert not fastcheck.certainly_valid(doc), path.name


def test_it_understands_every_keyword_of_the_schema() -> None:
    seen: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            seen.update(k for k in node if not k.startswith("^"))
            for key, value in node.items():
                if key in ("discriminator", "default"):
                    continue  # values, not schemas
                if key in ("properties", "patternProperties", "definitions"):
                    for sub in value.values():
                        walk(sub)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(fastcheck.schema())
    assert seen - fastcheck.KNOWN == set()


def test_shipped_copy_is_the_committed_schema() -> None:
    assert (
        fastcheck.SCHEMA_FILE.read_text()
        == (ROOT / "schemas" / "zen-config.schema.json").read_text()
    )
    assert schema.shipped() == schema.render()


def test_plain_views_apply_the_model_defaults() -> None:
    """spec (the pydantic-free view) and the models take defaults from one module."""
    from zenconfig import defaults, spec

    dumped = Connection().model_dump()
    view = spec.connection("p", {})
    assert (view.host, view.port, view.db, view.mode) == (
        dumped["host"],
        dumped["port"],
        dumped["db"],
        dumped["mode"],
    )
    assert view.conversation_ttl_seconds == dumped["conversation_ttl_seconds"] == 10800
    assert view.max_turns == dumped["max_turns"] == defaults.MAX_TURNS == 50
    assert view.connect_timeout == dumped["timeouts"]["connect_seconds"] == 0.5
    assert view.socket_timeout == dumped["timeouts"]["socket_seconds"]
    assert view.max_connections == dumped["pool"]["max_connections"]
    assert view.health_check_interval == dumped["pool"]["health_check_interval_seconds"]
    assert (view.tls.verify, view.tls.check_hostname) == (
        dumped["tls"]["verify"],
        dumped["tls"]["check_hostname"],
    )
    assert view.key_prefix == defaults.key_prefix("p") == "zen:p:"


@pytest.mark.parametrize("bad", [{"port": True}, {"db": 1.5}, {"tls": {"enabled": "yes"}}])
def test_json_types_are_strict(bad: dict[str, object]) -> None:
    doc = {"version": 1, "storage": {"redis": {"connections": {"p": bad}}}}
    assert not fastcheck.certainly_valid(doc)
