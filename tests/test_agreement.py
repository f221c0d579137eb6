"""Three readers of one contract agree: jsonschema (what editors use), the fast
walker (``use``/``list``) and the pydantic models, on documents drawn from the
committed schema and on near misses of them."""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from tests.schemagen import documents, near_miss
from zenconfig import fastcheck, rules
from zenconfig.models import Config, SemanticError

VALIDATOR = jsonschema.Draft7Validator(fastcheck.schema())
SETTINGS = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _model_type_valid(document: dict[str, Any]) -> bool:
    """Do the models accept the document's types (cross-field rules aside)?"""
    try:
        Config.model_validate(document)
    except ValidationError as e:
        return all(
            isinstance((err.get("ctx") or {}).get("error"), SemanticError) for err in e.errors()
        )
    return True


def _walker_type_valid(document: dict[str, Any]) -> bool | None:
    root = fastcheck.schema()
    try:
        return fastcheck._ok(document, root, root)
    except fastcheck.Unsure:
        return None


def _agree(document: dict[str, Any]) -> None:
    by_schema = VALIDATOR.is_valid(document)
    by_models = _model_type_valid(document)
    by_walker = _walker_type_valid(document)
    assert by_models == by_schema, document
    assert by_walker in (None, by_schema), document
    if by_schema:
        assert fastcheck.certainly_valid(document) == (not rules.problems(document))


@SETTINGS
@given(documents())
def test_generated_documents_are_valid_for_all(document: dict[str, Any]) -> None:
    assert VALIDATOR.is_valid(document)
    _agree(document)


@SETTINGS
@given(near_miss())
def test_near_misses_are_judged_alike(document: dict[str, Any]) -> None:
    _agree(document)


def test_walker_refuses_non_finite_numbers() -> None:
    conn = {"timeouts": {"connect_seconds": float("nan")}}
    document = {"version": 1, "storage": {"redis": {"connections": {"p": conn}}}}
    assert not fastcheck.certainly_valid(document)
    conn["timeouts"]["connect_seconds"] = float("inf")
    assert not fastcheck.certainly_valid(document)
