"""The in-memory backend used by unit tests passes keyring's own backend tests."""

from keyring.testing.backend import BackendBasicTests

from tests.memkeyring import MemoryKeyring


class TestMemoryKeyring(BackendBasicTests):
    def init_keyring(self) -> MemoryKeyring:
        return MemoryKeyring()
