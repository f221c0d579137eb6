"""The ZenConfigError tree and the exit codes (docs/architecture.md, "Errors").

Library code raises these; only ``zenconfig.cli`` turns them into a message
and an exit code. ``where`` names the file, dotted key or host the error is
about; ``hint`` is the next step for the user.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    INVALID_CONFIG = 3
    STORAGE_UNREACHABLE = 4
    KEYRING_UNAVAILABLE = 5


class ZenConfigError(Exception):
    """Base of every error zenconfig raises on purpose."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        hint: str | None = None,
        details: list[str] | None = None,
    ) -> None:
        from .redact import scrub

        message = scrub(message)
        super().__init__(message)
        self.message = message
        self.where = None if where is None else scrub(where)
        self.hint = None if hint is None else scrub(hint)
        self.details = [scrub(line) for line in details or []]

    def __str__(self) -> str:
        text = self.message if self.where is None else f"{self.message} ({self.where})"
        return "\n".join([text, *self.details])


class UsageError(ZenConfigError):
    """The command line asked for something contradictory or unsafe."""

    exit_code = ExitCode.USAGE


class ConfigError(ZenConfigError):
    """The config file cannot be read, parsed or validated."""

    exit_code = ExitCode.INVALID_CONFIG


class UnknownProjectError(ZenConfigError):
    """A project name that the config file does not define."""

    def __init__(self, name: str, known: list[str], *, where: str | None = None) -> None:
        import difflib

        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else None
        if hint is None:
            hint = (
                "add it with: zen config add-project " + name
                if not known
                else "known projects: " + ", ".join(known)
            )
        elif known:
            hint += " Known projects: " + ", ".join(known)
        super().__init__(f"unknown project '{name}'", where=where, hint=hint)
        self.name = name
        self.known = known


class ProjectExistsError(ZenConfigError):
    """add-project or rename-project onto a name that is taken."""


class LockTimeoutError(ZenConfigError):
    """Another process held the config lock for longer than the timeout."""


class StorageUnavailableError(ZenConfigError):
    """Redis could not be reached (refused, timed out, DNS)."""

    exit_code = ExitCode.STORAGE_UNREACHABLE


class WriteUnknownError(ZenConfigError):
    """A write was sent but its outcome is unknown (the server stopped answering).

    It may or may not have been stored; it is never retried blindly, since an
    append or a create is not idempotent. The caller decides (read back, or
    retry knowing it may duplicate).
    """

    exit_code = ExitCode.STORAGE_UNREACHABLE


class WriteRefusedError(ZenConfigError):
    """The server refused a write and nothing was stored (out of memory, read-only)."""


class ThreadExistsError(ZenConfigError):
    """A thread was created with an id that is already stored."""


class SecretUnavailableError(ZenConfigError):
    """A password could not be read or stored: keyring, env var or command."""

    exit_code = ExitCode.KEYRING_UNAVAILABLE


class CommandRefusedError(ZenConfigError):
    """A password command was not run: the config file naming it is not safe.

    Not ``SecretUnavailableError``: that one means "unavailable on this
    machine" and may fall back to memory; a refusal never does.
    """

    exit_code = ExitCode.INVALID_CONFIG


KEYRING_ALTERNATIVES = (
    "store the password elsewhere with --password-env VAR or --password-command CMD, "
    "unlock your Secret Service (e.g. gnome-keyring), or choose a backend with "
    "PYTHON_KEYRING_BACKEND"
)
