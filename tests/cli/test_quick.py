"""The quick path (no Typer) gives the same answers as the full app.

On generated configs, environments, ``.zen-project`` files and command lines,
each command the quick path takes is run both ways from the same starting
files: stdout, stderr, exit code and the files afterwards must be equal.
When the quick path declines (returns None) the full app answers alone.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from zenconfig.cli import app, quick

NAMES = ["p1", "p2", "zz"]


def _doc(kind: str, conns: list[str], default: str | None) -> dict[str, Any]:
    redis: dict[str, Any] = {
        "connections": {
            n: {"port": 6400 + i, "key_prefix": f"zen:{n}:"} for i, n in enumerate(conns)
        }
    }
    if default:
        redis["default"] = default
    return {"version": 1, "storage": {"type": kind, "redis": redis}}


configs = st.one_of(
    st.none(),
    st.builds(
        lambda conns, kind, pick: _doc(kind, conns, conns[pick % len(conns)] if conns else None),
        st.lists(st.sampled_from(NAMES[:2]), unique=True, max_size=2),
        st.sampled_from(["memory", "redis", "local"]),
        st.integers(0, 3),
    ),
)
roots = st.lists(
    st.sampled_from([["--memory"], ["--local"], ["--project", "p1"], ["--project=p2"],
                     ["--project", "zz"], ["--config", "CONFIG"], ["--verbose"]]),
    max_size=2,
).map(lambda parts: [token for part in parts for token in part])  # fmt: skip
commands = st.sampled_from(
    [
        ["current"], ["current", "--short"], ["current", "--json"], ["list"], ["list", "--json"],
        ["show"], ["show", "p1"], ["show", "zz", "--json"], ["get", "p1", "port"],
        ["get", "p2", "tls.enabled", "--json"], ["get", "p1", "nope"], ["use", "p2"],
        ["use", "--memory"], ["use", "--local"], ["use", "p1", "--here"], ["use", "zz"],
        ["use"], ["list", "--bogus"], ["current", "--help"],
    ]
)  # fmt: skip
environs = st.fixed_dictionaries(
    {},
    optional={
        "ZEN_PROJECT": st.sampled_from(NAMES),
        "ZEN_STORAGE_TYPE": st.sampled_from(["memory", "file", "redis", "bogus"]),
    },
)


def _files(home: Path, work: Path) -> dict[str, bytes | None]:
    found: dict[str, bytes | None] = {}
    for path in (home / ".zen-cli" / "config.json", work / ".zen-project"):
        found[path.name] = path.read_bytes() if path.exists() else None
    return found


def _setup(home: Path, work: Path, doc: dict[str, Any] | None, pinned: str | None) -> None:
    config = home / ".zen-cli" / "config.json"
    config.parent.mkdir(mode=0o700, exist_ok=True)
    for stale in config.parent.iterdir():
        stale.unlink()
    if doc is not None:
        config.write_text(json.dumps(doc))
        config.chmod(0o600)
    project_file = work / ".zen-project"
    project_file.unlink(missing_ok=True)
    if pinned:
        project_file.write_text(pinned + "\n")


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(configs, roots, commands, environs, st.one_of(st.none(), st.sampled_from(NAMES)))
def test_quick_path_answers_like_the_full_app(
    home: Path,
    monkeypatch: Any,
    doc: dict[str, Any] | None,
    root: list[str],
    command: list[str],
    environ: dict[str, str],
    pinned: str | None,
) -> None:
    work = Path.cwd()
    argv = [str(home / ".zen-cli" / "config.json") if t == "CONFIG" else t for t in root]
    argv += ["config", *command]
    for name in ("ZEN_PROJECT", "ZEN_STORAGE_TYPE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)

    _setup(home, work, doc, pinned)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = quick.answer(argv)
    quick_files = _files(home, work)

    _setup(home, work, doc, pinned)
    full = CliRunner().invoke(app, argv, prog_name="zen")
    if code is None:
        return  # declined: the full app answers alone
    assert (code, out.getvalue(), err.getvalue()) == (full.exit_code, full.stdout, full.stderr)
    assert quick_files == _files(home, work)


def test_quick_path_takes_the_plain_forms() -> None:
    assert quick.parse(["config", "current", "--short"]) == ({}, "current", {"--short"}, [])
    assert quick.parse(["--project=p1", "config", "get", "p1", "port"]) is not None
    assert quick.parse(["config", "current", "--help"]) is None
    assert quick.parse(["--verbose", "config", "list"]) is None
    assert quick.parse(["config", "show", "--reveal"]) is None
    assert quick.parse(["config", "list", "--json", "--json"]) is None
    assert quick.parse(["storage", "threads"]) is None


def test_quick_path_reports_errors_as_the_full_app_does(zen: Any, capsys: Any) -> None:
    assert quick.answer(["config", "show", "ghost"]) == 1
    quick_err = capsys.readouterr().err
    r = zen("config", "show", "ghost")
    assert (r.code, r.err) == (1, quick_err)
    assert quick_err.startswith("zen: error: unknown project 'ghost'")


def test_quick_path_waits_once_for_a_held_lock(home: Path, monkeypatch: Any) -> None:
    """An error is reported, never the command run again (twice the lock wait)."""
    import subprocess
    import sys
    import time

    config = home / ".zen-cli" / "config.json"
    config.parent.mkdir(mode=0o700, exist_ok=True)
    config.write_text(json.dumps(_doc("redis", ["p1", "p2"], "p1")))
    config.chmod(0o600)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\n"
         "from zenconfig.configfile.writing import locked\n"
         "with locked(Path(sys.argv[1])):\n    print('held', flush=True)\n    time.sleep(30)\n",
         str(config)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        monkeypatch.setenv("ZEN_LOCK_TIMEOUT", "0.5")
        started = time.monotonic()
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = quick.answer(["config", "use", "p2"])
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert code == 1 and "held the config lock" in err.getvalue()
    assert elapsed < 0.9  # one wait of 0.5 s, not two


def test_the_console_script_takes_the_quick_path(home: Path) -> None:
    import subprocess
    import sys

    probe = (
        "import sys; sys.argv = ['zen', 'config', 'current', '--short']\n"
        "from zenconfig.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('typer' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(home)},
        timeout=60,
    )
    assert (done.stdout, done.stderr) == ("memory\n", "False\n")
