"""The JSON Schema of the config file, generated from ``zenconfig.models``.

Draft-07 keywords only (``definitions``, not ``$defs``) so that taplo and
older editors can use it; all references are internal.
"""

from __future__ import annotations

import json
from typing import Any

DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def _draft_07(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _draft_07(v) for k, v in node.items()}
        if "patternProperties" in out:
            # keys that miss the pattern (bad project names) are errors, not extras
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(node, list):
        return [_draft_07(v) for v in node]
    if isinstance(node, str) and node.startswith("#/$defs/"):
        return "#/definitions/" + node[len("#/$defs/") :]
    return node


def generate() -> dict[str, Any]:
    from .models import Config

    raw = Config.model_json_schema(by_alias=True, mode="validation")
    definitions = raw.pop("$defs", {})
    schema: dict[str, Any] = {"$schema": DRAFT_07, **raw, "definitions": definitions}
    return dict(_draft_07(schema))


def render() -> str:
    """The schema generated from the models now (imports pydantic)."""
    return json.dumps(generate(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def shipped() -> str:
    """The schema shipped in the package (committed; drift-tested against ``render``)."""
    from .fastcheck import SCHEMA_FILE

    return SCHEMA_FILE.read_text(encoding="utf-8")


COPIES = ("zenconfig/zen-config.schema.json", "schemas/zen-config.schema.json")

if __name__ == "__main__":  # regenerate the committed copies: python -m zenconfig.schema
    from pathlib import Path

    for copy in COPIES:
        Path(copy).write_text(render(), encoding="utf-8")
        print(f"wrote {copy}")
