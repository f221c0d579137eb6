"""Validating a document: the fast walker when it is sure, else the pydantic
models, whose errors become one 'dotted.key: message' line each."""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from .parsing import Document

TYPE_CHECKING = False  # typing costs a bare Python start (zenconfig.values)
if TYPE_CHECKING:
    from typing import Any

    from ..models import Config

_MESSAGES = {
    "less_than_equal": "must be <= {le}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "greater_than": "must be > {gt}",
    "extra_forbidden": "unknown key",
    "missing": "required",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "string_pattern_mismatch": "must match {pattern}",
    "string_too_short": "must not be empty",
    "too_short": "must have at least {min_length} item(s)",
    "literal_error": "must be {expected}",
    "union_tag_invalid": "'source' must be {expected_tags}",
    "union_tag_not_found": "needs a 'source' key (keyring, env or command)",
}
_PASSWORD_TAGS = {"keyring", "env", "command"}


def _dotted(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for i, item in enumerate(loc):
        if item == "[key]":
            continue
        if i > 0 and loc[i - 1] == "password" and item in _PASSWORD_TAGS:
            continue  # the tag pydantic adds for the discriminated union
        parts.append(f"[{item}]" if isinstance(item, int) else str(item))
    return ".".join(parts).replace(".[", "[") or "(top level)"


def describe_errors(exc: Any) -> list[str]:
    """One 'dotted.path: message' line per problem in a pydantic ValidationError."""
    from ..models import SemanticError

    lines: list[str] = []
    for err in exc.errors(include_url=False):
        ctx = err.get("ctx") or {}
        if isinstance(ctx.get("error"), SemanticError):
            lines += [f"{p}: {m}" for p, m in ctx["error"].problems]
            continue
        loc = tuple(err["loc"])
        template = _MESSAGES.get(err["type"])
        if err["type"] == "string_pattern_mismatch" and loc and loc[-1] == "[key]":
            message = "is not a valid project name (letters, digits, '_', '.', '-')"
        elif err["type"] == "value_error" and ctx.get("error") is not None:
            message = str(ctx["error"])  # ours, without pydantic's "Value error, "
        elif template:
            try:
                message = template.format(**ctx)
            except (KeyError, IndexError):
                message = err["msg"]
            else:
                message += _as_duration(loc, ctx)
        else:
            message = err["msg"]
        lines.append(f"{_dotted(loc)}: {message}")
    return lines


def _as_duration(loc: tuple[Any, ...], ctx: dict[str, Any]) -> str:
    """`` (1d)`` after a limit of seconds, said as the durations users type."""
    bound = next((ctx[k] for k in ("le", "ge", "lt", "gt") if k in ctx), None)
    if not (loc and str(loc[-1]).endswith("_seconds") and isinstance(bound, int | float)):
        return ""
    from ..durations import human

    return f" ({human(bound)})" if bound >= 60 else ""


def _check_version(document: Document, path: Path) -> None:
    from ..defaults import CURRENT_VERSION

    version = document.get("version")
    if "version" not in document:
        raise ConfigError(
            "no 'version' key: this is the original (legacy) layout",
            where=str(path),
            hint="upgrade it with: zen config migrate",
        )
    if isinstance(version, str) and isinstance(document.get("storage"), dict):
        raise ConfigError(  # zen-cli's own config.json of an earlier version lived here too
            f"this is not a zenconfig file (version {version[:20]!r}: an earlier zen-cli "
            "kept its own config.json here)",
            where=str(path),
            hint=f"move it aside (e.g. mv {path} {path}.zen-cli), then: zen config init; "
            "add your Redis with zen config add-project",
        )
    if isinstance(version, int) and not isinstance(version, bool) and version > CURRENT_VERSION:
        raise ConfigError(
            f"written by a newer zenconfig (version {version}; this one reads {CURRENT_VERSION})",
            where=str(path),
            hint="upgrade zenconfig; the file was left as it is",
        )


def check(document: Document, path: Path) -> None:
    """Raise ConfigError unless ``document`` is valid; fast when it is."""
    from .. import fastcheck

    _check_version(document, path)
    if not fastcheck.certainly_valid(document):
        validate(document, path)


def validate(document: Document, path: Path) -> Config:
    """The validated model of ``document``, or ConfigError naming each bad key."""
    from pydantic import ValidationError

    from ..models import Config

    _check_version(document, path)
    try:
        return Config.model_validate(document)
    except ValidationError as e:
        lines = describe_errors(e)
        count = f"{len(lines)} problem" + ("s" if len(lines) != 1 else "")
        raise ConfigError(
            f"invalid config, {count}",
            where=str(path),
            details=["  " + line for line in lines],
            hint="fix the keys above, or run: zen config edit",
        ) from None
