"""cli/flags.py: HOST:PORT lists, duration flags, and the flag named for each field."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import typer

from tests.conftest import Run
from zenconfig import fields, spec
from zenconfig.cli import app, flags
from zenconfig.errors import ExitCode, UsageError


def test_host_port_lists() -> None:
    assert flags.hostport(None, "--node") == []
    assert flags.hostport(["a.example:7000", "[::1]:7001", "10.0.0.1:0"], "--node") == [
        {"host": "a.example", "port": 7000},
        {"host": "::1", "port": 7001},
        {"host": "10.0.0.1", "port": 0},
    ]


@pytest.mark.parametrize(
    "item", ["redis", ":6379", "redis:", "redis:port", "redis: 1", "h:-1", "h:²", "h:٣"]
)
def test_a_value_that_is_not_host_port_is_a_usage_error(item: str) -> None:
    with pytest.raises(UsageError) as caught:
        flags.hostport(["ok:1", item], "--sentinel")
    assert caught.value.message == f"--sentinel takes HOST:PORT, not '{item}'"
    assert caught.value.exit_code == ExitCode.USAGE


@pytest.mark.parametrize(
    ("value", "zero", "seconds"),
    [(None, False, None), ("7200", False, 7200), ("90m", False, 5400), ("2h 30m", False, 9000),
     (" 0 ", True, 0), ("0s", True, 0)],
)  # fmt: skip
def test_durations_as_whole_seconds(value: str | None, zero: bool, seconds: int | None) -> None:
    assert flags.seconds(value, "--ttl", zero=zero) == seconds


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("1.5", "'1.5' is not a whole number of seconds"),
        ("soon", "not a duration: 'soon' (e.g. 90s, 15m, 2h, 7d, 2h 30m)"),
        ("", "empty duration"),
        ("99999w", "duration too long: '99999w'"),
    ],
)
def test_a_bad_duration_names_the_flag_and_the_value(value: str, why: str) -> None:
    with pytest.raises(UsageError) as caught:
        flags.seconds(value, "--health-check-interval", zero=True)
    assert caught.value.message == f"--health-check-interval {value}: {why}"


def test_every_field_names_a_real_add_project_flag() -> None:
    group = typer.main.get_command(app)
    add = group.commands["config"].commands["add-project"]  # type: ignore[attr-defined]
    options = {opt for param in add.params for opt in param.opts}
    assert set(flags.FLAGS.values()) <= options
    known = set(fields.leaves(spec.connection_document({})))
    assert set(flags.FLAGS) == known - {"password"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--max-connections", "0"), "--max-connections 0: must be >= 1"),
        (("--ttl", "0"), "--ttl 0: must be >= 1"),
        (("--node", "h:1", "--node", "h:70000"), "--node (nodes[1].port): must be <= 65535"),
    ],
)
def test_a_refused_setting_is_blamed_on_its_flag(
    zen: Callable[..., Run], args: tuple[str, ...], message: str
) -> None:
    r = zen("config", "add-project", "p", *args)
    assert r.code == ExitCode.USAGE, r
    assert r.err.startswith("zen: error: " + message), r
    assert "internal error" not in r.err
    assert zen("config", "list", "--json").json() == []


def test_timeout_flags_read_durations_as_set_does(zen: Callable[..., Run], config_file) -> None:
    """--connect-timeout / --socket-timeout take what `set` takes for the same fields."""
    import json

    assert flags.duration(None, "--connect-timeout") is None
    assert flags.duration("0.25", "--connect-timeout") == 0.25
    assert zen("config", "init").code == 0
    r = zen("config", "add-project", "a", "--connect-timeout", "2s", "--socket-timeout", "1m")
    assert r.code == 0, r
    assert zen("config", "add-project", "b").code == 0
    assert zen("config", "set", "b", "timeouts.connect_seconds", "2s").code == 0
    assert zen("config", "set", "b", "timeouts.socket_seconds", "1m").code == 0
    found = json.loads(config_file.read_text())["storage"]["redis"]["connections"]
    assert (
        found["a"]["timeouts"]
        == found["b"]["timeouts"]
        == {
            "connect_seconds": 2.0,
            "socket_seconds": 60.0,
        }
    )
    r = zen("config", "add-project", "c", "--connect-timeout", "soon")
    assert r.code == ExitCode.USAGE
    assert r.err.startswith("zen: error: --connect-timeout soon: not a duration: 'soon'")
