"""What the reading commands print, as text, with no Typer in sight.

The Typer commands and the quick path (``cli/quick.py``) both build their
output here and only differ in how they write it, so the two cannot drift.
``Output.out`` goes to stdout (data), ``Output.err`` to stderr (messages).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..text import json_text, printable
from . import render


@dataclass
class Output:
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)

    def note(self, text: str) -> Output:
        self.err.append(f"zen: {printable(text)}")
        return self

    def warn(self, text: str) -> Output:
        self.err.append(f"zen: warning: {printable(text)}")
        return self

    def data(self, text: str = "") -> Output:
        """A line of data, control characters escaped (text shown from files and
        servers never reaches the terminal raw; tables keep their line breaks)."""
        self.out.append("\n".join(printable(line) for line in text.split("\n")))
        return self

    def json(self, value: Any) -> Output:
        self.out.append(json_text(value))
        return self


def listing(rows: list[dict[str, Any]], as_json: bool) -> Output:
    if as_json:
        return Output().json(rows)
    if not rows:
        return Output().note("no projects yet; add one: zen config add-project NAME --host HOST")
    table = render.table(
        ["CURRENT", "NAME", "ADDRESS", "PREFIX", "TTL", "PASSWORD"],
        [
            [
                "*" if r["active"] else "",
                r["name"],
                ("tls " if r["tls"] else "") + r["address"],
                r["key_prefix"],
                render.duration(r["conversation_ttl_seconds"]),
                r["password"],
            ]
            for r in rows
        ],
    )
    return Output().data(table)


def current(selection: Any, as_json: bool, short: bool) -> Output:
    if as_json:
        return Output().json(selection.as_dict())
    if short:
        return Output().data(selection.short)
    return Output().data(f"{selection.short}  (from {selection.detail})")


def showing(data: dict[str, Any], as_json: bool) -> Output:
    if as_json:
        return Output().json(data)
    selected = data["selected"]
    if data["backend"] != "redis":
        return Output().data(f"{data['backend']} store (from {selected['detail']})")
    output = Output()
    for warning in data["warnings"]:
        output.warn(warning)
    source = (
        "named on the command line"
        if selected["source"] == "argument"
        else f"from {selected['detail']}"
    )
    output.data(f"project  {data['name']}  ({source})")
    output.data(f"file     {data['file']}")
    output.data()
    rows = [[v["field"], render.value(v["value"]), v["source"]] for v in data["values"]]
    password = data["password"]
    rows.append(["password", password["value"] or "-", password["source"]])
    return output.data(render.table(["FIELD", "VALUE", "SOURCE"], rows))


def field_value(name: str, field_path: str, value: Any, as_json: bool) -> Output:
    if as_json:
        return Output().json({"project": name, "field": field_path, "value": value})
    return Output().data(render.value(value))


def used(result: str, name: str | None, here: bool, where: str | None = None) -> Output:
    if here:
        return Output().note(f"wrote {result}: '{name}' is used in this directory and below")
    if name is None and result == "memory":  # a project may be called "memory" too
        return Output().note("storage is now in memory (projects are kept)")
    if name is None and result == "local":
        return Output().note(
            f"storage is now the local store, {where or 'storage.local.path'} (projects are kept)"
        )
    return Output().note(f"'{result}' is now the default project")


def error(error: Any) -> Output:
    """A ``ZenConfigError`` as its two message lines (the one format of every error)."""
    output = Output()
    output.err += error_lines(str(error), error.hint)
    return output


def error_lines(text: str, hint: str | None = None) -> list[str]:
    """An error's text (and hint) as lines, escaped: ``zen: error: ...``, ``hint: ...``."""
    lines = [
        ("zen: error: " if n == 0 else "") + printable(line)
        for n, line in enumerate(text.split("\n"))
    ]
    return lines + ([f"hint: {printable(hint)}"] if hint else [])


BROKEN_PIPE = 141  # what a process killed by SIGPIPE reports (128 + 13), as `yes | head` does


def silence_stdout() -> None:
    """The reader went away (``zen config show p | head -c1``): point stdout at
    /dev/null, so that Python's flush at exit does not complain again."""
    import os
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def deliver(result: Output, code: int) -> int:
    """Write ``result`` without Typer (messages first, then data): ``code``, or
    ``BROKEN_PIPE`` when the reader went away."""
    import sys

    try:
        for line in result.err:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
        for line in result.out:
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
        return BROKEN_PIPE
    return code
