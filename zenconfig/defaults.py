"""Every default value of the config file, named once.

The pydantic models (and so the JSON Schema), the plain-document views used on
the fast paths (``spec``, ``list``), the stores and the writers all take their
defaults from here; nothing else spells a default out.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs a bare Python start (zenconfig.values)
if TYPE_CHECKING:
    from typing import Final

CURRENT_VERSION: Final = 1

STORAGE_TYPE: Final = "memory"
FALLBACK: Final = "memory"

HOST: Final = "127.0.0.1"
PORT: Final = 6379
DB: Final = 0
MODE: Final = "standalone"
CONVERSATION_TTL_SECONDS: Final = 10800  # 3 hours, as zen's own memory
MAX_TURNS: Final = 50
CONNECT_TIMEOUT_SECONDS: Final = 0.5
SOCKET_TIMEOUT_SECONDS: Final = 5.0
MAX_CONNECTIONS: Final = 10
HEALTH_CHECK_INTERVAL_SECONDS: Final = 30
TLS_VERIFY: Final = True
TLS_CHECK_HOSTNAME: Final = True

# zen's own REDIS_* settings, where a variable is unset (zen-cli's defaults): read with no
# config file (runtime.zenenv) and written by `zen config migrate`, the same project
ZEN_REDIS_HOST: Final = "localhost"
ZEN_KEY_PREFIX: Final = "zen:"

KEYRING_SERVICE: Final = "zen-cli"
LOCAL_DB_NAME: Final = "conversations.db"
LOCAL_PATH: Final = "~/.zen-cli/" + LOCAL_DB_NAME  # storage.local.path
LOCAL_BUSY_TIMEOUT_SECONDS: Final = 5.0  # a write waits this long for another writer


def key_prefix(name: str) -> str:
    """The key prefix of a project that does not set one."""
    return f"zen:{name}:"
