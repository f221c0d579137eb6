"""The committed JSON Schema: generated from the models, draft-07, usable offline."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import FIXTURES, ROOT
from zenconfig import configfile, schema
from zenconfig.errors import ConfigError

COMMITTED = ROOT / "schemas" / "zen-config.schema.json"


def test_committed_schema_matches_the_models() -> None:
    assert COMMITTED.read_text() == schema.render(), (
        "schemas/zen-config.schema.json is stale: run "
        "`.venv/bin/zen config schema > schemas/zen-config.schema.json`"
    )


def test_schema_passes_the_draft_07_metaschema() -> None:
    generated = json.loads(COMMITTED.read_text())
    jsonschema.Draft7Validator.check_schema(generated)
    assert generated["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_schema_is_self_contained_and_draft_07() -> None:
    text = COMMITTED.read_text()
    refs = [v for v in _walk(json.loads(text)) if isinstance(v, str) and v.startswith("#/")]
    assert refs and all(r.startswith("#/definitions/") for r in refs)
    assert "$defs" not in text
    assert '"$ref": "http' not in text


def test_schema_allows_the_schema_key_and_nothing_unknown() -> None:
    generated = json.loads(COMMITTED.read_text())
    assert "$schema" in generated["properties"]
    assert generated["additionalProperties"] is False
    validator = jsonschema.Draft7Validator(generated)
    doc = configfile.empty_document("./zen-config.schema.json")
    assert list(validator.iter_errors(doc)) == []
    doc["surprise"] = 1
    assert [e.message for e in validator.iter_errors(doc)] == [
        "Additional properties are not allowed ('surprise' was unexpected)"
    ]


def test_design_example_validates_in_both() -> None:
    example = json.loads((FIXTURES / "design-example.json").read_text())
    jsonschema.Draft7Validator(json.loads(COMMITTED.read_text())).validate(example)
    configfile.validate(example, Path("design-example.json"))


@pytest.mark.parametrize(
    "name",
    [
        "port-too-big.json",
        "db-too-big.json",
        "unknown-key.json",
        "bad-type.json",
        "inline-password.json",
        "bad-project-name.json",
        "unknown-top-key.json",
        "bad-password-source.json",
    ],
)
def test_editor_and_loader_agree_on_type_errors(name: str) -> None:
    path = FIXTURES / "malformed" / name
    doc = json.loads(path.read_text())
    assert list(jsonschema.Draft7Validator(json.loads(COMMITTED.read_text())).iter_errors(doc))
    with pytest.raises(ConfigError):
        configfile.validate(doc, path)


def test_every_field_has_a_description() -> None:
    generated = json.loads(COMMITTED.read_text())
    missing = [
        f"{model}.{field}"
        for model, body in generated["definitions"].items()
        for field, spec in body.get("properties", {}).items()
        if not spec.get("description")
    ]
    missing += [f for f, s in generated["properties"].items() if not s.get("description")]
    assert missing == []


def _walk(node: object) -> list[object]:
    if isinstance(node, dict):
        return [v for value in node.values() for v in [value, *_walk(value)]]
    if isinstance(node, list):
        return [v for value in node for v in [value, *_walk(value)]]
    return []
