"""Passwords: the OS keyring (the only module importing ``keyring``), env vars, commands.

Every keyring call runs in a daemon thread bounded by ``ZEN_KEYRING_TIMEOUT``
seconds (default 5), so a locked or absent Secret Service cannot hang the
tool. No backend, a locked collection or a timeout raises
``SecretUnavailableError`` (exit 5) naming the alternatives; there is never a
plain-text fallback. A secret never appears in an error message.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from . import defaults, paths, process, trust
from .errors import KEYRING_ALTERNATIVES, CommandRefusedError, SecretUnavailableError
from .redact import remember
from .trust import Trust

Ref = dict[str, Any]  # a password reference of the config file (see models.PasswordRef)

T = TypeVar("T")
COMMAND_TIMEOUT_SECONDS = 10.0
COMMAND_MAX_OUTPUT = 64 * 1024


def _bounded(what: str, fn: Callable[[], T]) -> T:
    timeout = paths.float_from_env(paths.ENV_KEYRING_TIMEOUT, paths.DEFAULT_KEYRING_TIMEOUT)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as e:  # handed to the caller's thread below
            outcome["error"] = e

    worker = threading.Thread(target=run, name="zen-keyring", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise SecretUnavailableError(
            f"the keyring did not answer within {timeout:g}s while {what}",
            hint="is the Secret Service locked or waiting for a prompt? Or " + KEYRING_ALTERNATIVES,
        )
    if "error" in outcome:
        _translate(outcome["error"], what)
    value: T = outcome["value"]
    return value


def _translate(error: BaseException, what: str) -> None:
    import keyring.errors

    if isinstance(error, keyring.errors.KeyringLocked):
        message = "the keyring is locked"
    elif isinstance(error, keyring.errors.InitError):
        message = "the keyring could not be opened (locked, or no collection set up)"
    elif isinstance(error, keyring.errors.KeyringError | OSError | RuntimeError):
        message = f"the keyring failed: {type(error).__name__}"
    else:
        raise error
    raise SecretUnavailableError(f"{message} while {what}", hint=KEYRING_ALTERNATIVES) from error


def _usable_backend() -> Any:
    import keyring
    from keyring.backends import chainer, fail

    backend = keyring.get_keyring()
    unusable = isinstance(backend, fail.Keyring) or (
        isinstance(backend, chainer.ChainerBackend) and not backend.backends
    )
    if unusable or getattr(backend, "priority", 1) <= 0:
        raise SecretUnavailableError(
            f"no usable keyring backend ({describe_backend(backend)})",
            hint=KEYRING_ALTERNATIVES,
        )
    return backend


def describe_backend(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def backend_name() -> str:
    """The usable keyring backend's name; raises when there is none."""
    return _bounded("looking for a keyring backend", lambda: describe_backend(_usable_backend()))


def get_password(service: str, username: str) -> str | None:
    return _bounded(
        f"reading {service}/{username}",
        lambda: _usable_backend().get_password(service, username),
    )


def set_password(service: str, username: str, secret: str) -> None:
    _bounded(
        f"storing {service}/{username}",
        lambda: _usable_backend().set_password(service, username, secret),
    )


def delete_password(service: str, username: str) -> bool:
    """Delete an entry; False when there was none."""
    import keyring.errors

    def run() -> bool:
        backend = _usable_backend()
        if backend.get_password(service, username) is None:
            return False
        try:
            backend.delete_password(service, username)
        except keyring.errors.PasswordDeleteError:
            return False
        return True

    return _bounded(f"deleting {service}/{username}", run)


class Journal:
    """Keyring entries written for a change of the config file.

    ``with Journal() as journal: ... journal.set_password(...)``: when the block
    fails (the file could not be written, say), each entry is put back as it
    was (its previous secret, or deleted), so no entry is left that no file names.
    """

    def __init__(self) -> None:
        self._done: list[tuple[str, str, str | None]] = []

    def set_password(self, service: str, username: str, secret: str) -> None:
        previous = get_password(service, username)
        set_password(service, username, secret)
        self._done.append((service, username, previous))

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if kind is None:
            return
        for service, username, previous in reversed(self._done):
            try:
                if previous is None:
                    delete_password(service, username)
                else:
                    set_password(service, username, previous)
            except SecretUnavailableError:
                pass  # best effort: the error that stopped the change is the one to report
        self._done.clear()


# -- scoping: one config file's entries are its own ----------------------------

SCOPE_HEX = 12
_SCOPED = re.compile(rf"(?P<project>.+)@(?P<scope>[0-9a-f]{{{SCOPE_HEX}}})\Z")


def scope(config_path: Path) -> str:
    """The scope of a config file: 12 hex digits of sha256 of its real path."""
    real = os.path.realpath(config_path)
    return hashlib.sha256(os.fsencode(real)).hexdigest()[:SCOPE_HEX]


def scoped_username(project: str, config_path: Path) -> str:
    """The keyring user name of ``project``'s password for this config file."""
    return f"{project}@{scope(config_path)}"


def split_scoped(username: str) -> tuple[str, str] | None:
    """``(project, scope)`` of a scoped user name; None for any other name."""
    match = _SCOPED.match(username)
    return (match["project"], match["scope"]) if match else None


# -- resolving a password reference ------------------------------------------


def from_keyring(ref: Ref, project: str) -> str:
    service, username = ref.get("service", defaults.KEYRING_SERVICE), ref["username"]
    secret = get_password(service, username)
    if secret is None:
        raise SecretUnavailableError(
            f"no keyring entry {service}/{username} for project '{project}'",
            hint=f"store one with: zen config set-password {project}",
        )
    return secret


def from_env(ref: Ref, project: str) -> str:
    name = ref["env"]
    secret = os.environ.get(name)
    if not secret:
        raise SecretUnavailableError(
            f"environment variable {name} is not set (password of project '{project}')",
            hint=f"export {name}, or change the source with: zen config set-password {project}",
        )
    return secret


Source = Path | Trust | Any  # the config's path (legacy), its Trust, or a Loaded


def trust_of(source: Source) -> Trust:
    """The trust of the config file a reference came from.

    Give the ``Loaded`` (or its ``trust``): the verdict on the very file that
    was parsed. A path is judged by opening it again (for older callers):
    that is a second file, maybe not the one parsed.
    """
    if isinstance(source, Trust):
        return source
    found = getattr(source, "trust", None)
    if isinstance(found, Trust):
        return found
    if isinstance(source, str | os.PathLike):
        return trust.of_path(Path(source))
    path = getattr(source, "path", "the config file")
    return Trust(str(path), f"{path} was not read from a file", str(path))


def check_trusted(source: Source, project: str, command: bool = True) -> None:
    """Refuse (CommandRefusedError) unless the config file is trusted.

    A command would run as you; any other secret would go to whatever host the
    file names: an untrusted file gets neither. With no file at all (zen's
    ``REDIS_*`` variables) there is nobody else to trust for a keyring or
    environment secret.
    """
    if not command:
        absent = getattr(source, "exists", True) is False or (
            isinstance(source, str | os.PathLike) and not os.path.lexists(source)
        )
        if absent:
            return
    verdict = trust_of(source)
    if verdict.trusted:
        return
    where = verdict.where or verdict.path
    if command:
        what = f"run the password command of project '{project}'"
        why = "anyone who can change the config file could run programs as you"
    else:
        what = f"read the password of project '{project}'"
        why = "anyone who can change the config file could send your password to their server"
    raise CommandRefusedError(
        f"refusing to {what}: {verdict.problem}",
        where=where,
        hint=f"{why}; make it yours and private (chown, then chmod go-w {where})",
    )


def from_command(ref: Ref, project: str, source: Source) -> str:
    """Run the reference's command (trusted files only; see ``zenconfig.process``)."""
    check_trusted(source, project)
    command = list(ref["command"])
    program = command[0]
    limit = COMMAND_TIMEOUT_SECONDS
    try:
        done = process.run(command, timeout=limit, max_output=COMMAND_MAX_OUTPUT)
    except FileNotFoundError as e:
        raise SecretUnavailableError(
            f"password command not found: {program} (project '{project}')"
        ) from e
    except OSError as e:
        raise SecretUnavailableError(f"cannot run password command {program}: {e.strerror}") from e
    except process.TimedOut as e:
        raise SecretUnavailableError(
            f"password command {program} did not finish within {limit:g}s "
            "(it was stopped, with any program it started)"
        ) from e
    except process.TooMuchOutput as e:
        raise SecretUnavailableError(
            f"password command {program} printed more than {COMMAND_MAX_OUTPUT // 1024} KiB "
            "(a password is one line)"
        ) from e
    if done.returncode != 0:
        raise SecretUnavailableError(
            f"password command {program} exited with status {done.returncode} "
            f"(project '{project}'; its error output is not shown)"
        )
    secret = done.stdout.decode("utf-8", "replace").rstrip("\r\n")
    if not secret:
        raise SecretUnavailableError(f"password command {program} printed nothing")
    return secret


def resolve(ref: Ref | None, project: str, source: Source) -> str | None:
    """The password a reference points at; None when there is no reference.

    ``source`` is the ``Loaded`` config (or its ``trust``) the reference was
    read from; a path still works but judges the file by opening it again.
    A command of an untrusted file raises ``CommandRefusedError`` (exit 3),
    never ``SecretUnavailableError``: a refusal must not fall back.
    """
    if ref is None:
        return None
    secret = _resolve(ref, project, source)
    remember(secret)
    return secret


def _resolve(ref: Ref, project: str, source: Source) -> str:
    if ref["source"] != "command":
        check_trusted(source, project, command=False)
    if ref["source"] == "keyring":
        return from_keyring(ref, project)
    if ref["source"] == "env":
        return from_env(ref, project)
    return from_command(ref, project, source)
