"""An in-memory keyring backend, for pure unit tests only (it passes keyring's
own backend test class, see tests/test_memkeyring.py)."""

from __future__ import annotations

import keyring.errors
from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError("no such entry") from None


class SlowKeyring(MemoryKeyring):
    """A keyring that never answers in time (a locked collection waiting on a prompt)."""

    def get_password(self, service: str, username: str) -> str | None:
        import time

        time.sleep(30)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self.get_password(service, username)
