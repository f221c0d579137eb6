"""zenconfig.errors: each error's exit code, its text (where, details), secrets scrubbed,
and the unknown-project hint."""

from __future__ import annotations

import pytest

from zenconfig import errors, redact
from zenconfig.errors import ExitCode, UnknownProjectError, ZenConfigError


def test_exit_codes_are_the_documented_numbers() -> None:
    """0 ok, 1 error, 2 usage, 3 invalid config, 4 unreachable, 5 keyring (architecture.md)."""
    assert {code.name: int(code) for code in ExitCode} == {
        "OK": 0,
        "ERROR": 1,
        "USAGE": 2,
        "INVALID_CONFIG": 3,
        "STORAGE_UNREACHABLE": 4,
        "KEYRING_UNAVAILABLE": 5,
    }


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        (errors.ZenConfigError, ExitCode.ERROR),
        (errors.UsageError, ExitCode.USAGE),
        (errors.ConfigError, ExitCode.INVALID_CONFIG),
        (errors.ProjectExistsError, ExitCode.ERROR),
        (errors.LockTimeoutError, ExitCode.ERROR),
        (errors.StorageUnavailableError, ExitCode.STORAGE_UNREACHABLE),
        (errors.WriteUnknownError, ExitCode.STORAGE_UNREACHABLE),
        (errors.WriteRefusedError, ExitCode.ERROR),
        (errors.ThreadExistsError, ExitCode.ERROR),
        (errors.SecretUnavailableError, ExitCode.KEYRING_UNAVAILABLE),
        (errors.CommandRefusedError, ExitCode.INVALID_CONFIG),
    ],
)
def test_each_error_carries_its_exit_code(kind: type[ZenConfigError], code: ExitCode) -> None:
    error = kind("boom")
    assert isinstance(error, ZenConfigError)
    assert error.exit_code is code


def test_a_refused_command_is_not_an_unavailable_secret() -> None:
    """The fallback catches SecretUnavailableError; a refusal must never be caught by it,
    and a write that may have happened is not a plain 'unreachable'."""
    assert not issubclass(errors.CommandRefusedError, errors.SecretUnavailableError)
    assert not issubclass(errors.WriteUnknownError, errors.StorageUnavailableError)
    assert not issubclass(errors.WriteRefusedError, errors.StorageUnavailableError)


def test_text_names_where_and_lists_the_details() -> None:
    error = ZenConfigError(
        "bad port", where="config.json:3:5", hint="fix it", details=["  a: one", "  b: two"]
    )
    assert str(error) == "bad port (config.json:3:5)\n  a: one\n  b: two"
    assert (error.message, error.where, error.hint) == ("bad port", "config.json:3:5", "fix it")
    bare = ZenConfigError("plain")
    assert str(bare) == "plain"
    assert (bare.where, bare.hint, bare.details) == (None, None, [])


def test_a_remembered_secret_is_scrubbed_from_every_part() -> None:
    redact.remember("hunter2-pw")
    error = errors.StorageUnavailableError(
        "AUTH hunter2-pw failed",
        where="host hunter2-pw",
        hint="not hunter2-pw",
        details=["echo hunter2-pw"],
    )
    text = " ".join([str(error), error.message, str(error.args), error.hint or ""])
    assert "hunter2-pw" not in text
    assert error.message == f"AUTH {redact.MASK} failed"
    assert error.where == f"host {redact.MASK}"
    assert error.hint == f"not {redact.MASK}"
    assert error.details == [f"echo {redact.MASK}"]


@pytest.mark.parametrize(
    ("name", "known", "hint"),
    [
        ("alpah", ["alpha", "beta"], "did you mean 'alpha'? Known projects: alpha, beta"),
        ("zzz", ["alpha", "beta"], "known projects: alpha, beta"),
        ("p1", [], "add it with: zen config add-project p1"),
    ],
)
def test_unknown_project_hint(name: str, known: list[str], hint: str) -> None:
    error = UnknownProjectError(name, known, where="ZEN_PROJECT")
    assert error.exit_code is ExitCode.ERROR
    assert str(error) == f"unknown project '{name}' (ZEN_PROJECT)"
    assert error.hint == hint
    assert (error.name, error.known) == (name, known)
