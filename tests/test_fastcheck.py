"""The pydantic-free fast check never accepts what the models reject."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from tests.conftest import FIXTURES, ROOT
from tests.test_fuzz import DOCS
from zenconfig import fastcheck, rules, schema
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
        except json.JSONDecodeError:
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


def test_rule_defaults_are_the_model_defaults() -> None:
    dumped = Connection().model_dump()
    assert (dumped["host"], dumped["port"], dumped["db"], dumped["mode"]) == (
        rules.HOST,
        rules.PORT,
        rules.DB,
        rules.MODE,
    )
    assert dumped["conversation_ttl_seconds"] == rules.TTL_SECONDS == 10800
    assert dumped["max_turns"] == rules.MAX_TURNS == 50


@pytest.mark.parametrize("bad", [{"port": True}, {"db": 1.5}, {"tls": {"enabled": "yes"}}])
def test_json_types_are_strict(bad: dict[str, object]) -> None:
    doc = {"version": 1, "storage": {"redis": {"connections": {"p": bad}}}}
    assert not fastcheck.certainly_valid(doc)
