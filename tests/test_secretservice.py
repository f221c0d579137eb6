"""The keyring commands against a real Secret Service (gnome-keyring on a private
D-Bus, started by scripts/with-keyring). CI sets ZEN_TEST_SECRET_SERVICE=1."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from tests.conftest import run_zen
from zenconfig import secrets

pytestmark = pytest.mark.secretservice

BACKEND = "keyring.backends.SecretService.Keyring"


@pytest.fixture
def secret_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    if not os.environ.get("ZEN_TEST_SECRET_SERVICE"):
        pytest.skip("needs scripts/with-keyring (a private gnome-keyring)")
    from keyring.backends.SecretService import Keyring

    backend = Keyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", BACKEND)
    yield backend


def test_backend_is_the_real_secret_service(secret_service: object) -> None:
    from zenconfig import secrets

    assert secrets.backend_name() == BACKEND


def test_project_lifecycle_in_the_secret_service(
    secret_service, zen, config_file: Path, home: Path
) -> None:
    name = "p" + uuid.uuid4().hex[:8]
    secret = "ss-" + uuid.uuid4().hex
    r = zen("config", "add-project", name, "--password-stdin", input=secret + "\n")
    assert r.code == 0, r
    user = secrets.scoped_username(name, config_file)
    assert secret_service.get_password("zen-cli", user) == secret  # type: ignore[attr-defined]
    # a separate process reads it back through the same Secret Service
    shown = run_zen("config", "show", name, "--reveal", "--json", env={"HOME": str(home)})
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["password"]["value"] == secret
    renamed = name + "-new"
    new_user = secrets.scoped_username(renamed, config_file)
    assert zen("config", "rename-project", name, renamed).code == 0
    assert secret_service.get_password("zen-cli", new_user) == secret  # type: ignore[attr-defined]
    assert secret_service.get_password("zen-cli", user) is None  # type: ignore[attr-defined]
    assert zen("config", "set-password", renamed, "--password-stdin", input="second\n").code == 0
    assert secret_service.get_password("zen-cli", new_user) == "second"  # type: ignore[attr-defined]
    r = zen("config", "remove-project", renamed)
    assert r.code == 0, r
    assert secret_service.get_password("zen-cli", new_user) is None  # type: ignore[attr-defined]
    assert secret not in config_file.read_text()


UNINITIALISED = """
set -e
export XDG_DATA_HOME=$(mktemp -d) XDG_RUNTIME_DIR=$(mktemp -d)
chmod 700 "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
gnome-keyring-daemon --foreground --components=secrets >/dev/null 2>&1 &
daemon=$!
cleanup() {
    kill $daemon 2>/dev/null; wait $daemon 2>/dev/null; rm -rf "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
}
trap cleanup EXIT
"$PYTHON" -c "
import time, secretstorage
conn = secretstorage.dbus_init()
for _ in range(150):
    if secretstorage.check_service_availability(conn):
        break
    time.sleep(0.1)
"
set +e
echo pw-never-stored | "$PYTHON" -m zenconfig config add-project p --password-stdin
echo "exit=$?"
"""


def test_an_uninitialised_secret_service_is_exit_5(home: Path) -> None:
    """A fresh gnome-keyring with no unlocked collection (and no screen for its
    prompt): a clear exit 5 within the timeout, never a hang or a plain-text file."""
    import subprocess
    import sys

    if not os.environ.get("ZEN_TEST_SECRET_SERVICE"):
        pytest.skip("needs scripts/with-keyring (gnome-keyring and dbus-run-session)")
    done = subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", UNINITIALISED],
        env={
            **os.environ,
            "HOME": str(home),
            "PYTHON": sys.executable,
            "PYTHON_KEYRING_BACKEND": BACKEND,
            "ZEN_KEYRING_TIMEOUT": "5",
            "DISPLAY": "",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "exit=5" in done.stdout, done.stderr
    assert "zen: error: the keyring" in done.stderr
    assert "PYTHON_KEYRING_BACKEND" in done.stderr
    config = home / ".zen-cli" / "config.json"
    assert not config.exists() or "pw-never-stored" not in config.read_text()


def test_migrate_moves_passwords_into_the_secret_service(
    secret_service, zen, config_file: Path
) -> None:
    import shutil

    from tests.conftest import FIXTURES

    config_file.parent.mkdir(mode=0o700)
    shutil.copy(FIXTURES / "migrations" / "legacy" / "old.json", config_file)
    r = zen("config", "migrate")
    assert r.code == 0, r
    user = secrets.scoped_username("project1", config_file)
    assert secret_service.get_password("zen-cli", user) == "p1-s3cret"  # type: ignore[attr-defined]
    for name in ("project1", "project2"):
        user = secrets.scoped_username(name, config_file)
        secret_service.delete_password("zen-cli", user)  # type: ignore[attr-defined]


WITH_KEYRING = Path(__file__).resolve().parent.parent / "scripts" / "with-keyring"
PROBE = """
echo "$XDG_DATA_HOME"
echo "$XDG_RUNTIME_DIR"
ls "$XDG_DATA_HOME/keyrings"
env | grep -c -i -e zen-test-keyring -e keyring_password || true
"""


@pytest.mark.parametrize(("ending", "status"), [("exit 7", 7), ("kill -TERM $PPID; sleep 1", 143)])
def test_with_keyring_leaves_nothing_behind(ending: str, status: int) -> None:
    """The throw-away keyring, its secrets and its unlocked daemon end with the run."""
    import shutil
    import subprocess

    if not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")):
        pytest.skip("needs dbus-run-session and gnome-keyring")
    done = subprocess.run(
        ["dbus-run-session", "--", "bash", str(WITH_KEYRING), "bash", "-c", PROBE + ending],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == status, done.stderr
    data, runtime, *listing, leaked = done.stdout.split()
    assert "login.keyring" in listing  # there was a keyring, unlocked, during the run
    assert leaked == "0"  # its password is not in the command's environment
    assert not Path(data).exists() and not Path(runtime).exists()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                environ = (proc / "environ").read_bytes()
            except OSError:
                continue
            assert f"XDG_DATA_HOME={data}".encode() not in environ.split(b"\0"), proc.name
