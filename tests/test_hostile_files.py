"""Hostile files: the config file, ``.zen-project`` and the password command.

Symlinks, other owners (uid 65534: the tests run as root), world-writable
directories, FIFOs and devices, huge files, control characters and non-ASCII
names. Each case asserts the exit code and the message, and that nothing
hostile was run, echoed or written through.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zenconfig import configfile, secrets
from zenconfig.errors import CommandRefusedError, ConfigError, ExitCode

NOBODY = 65534


def _doc(command: list[str] | None = None) -> dict:
    conn: dict = {"host": "127.0.0.1", "port": 1}
    if command:
        conn["password"] = {"source": "command", "command": command}
    return {
        "version": 1,
        "storage": {"type": "redis", "redis": {"default": "p1", "connections": {"p1": conn}}},
    }


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def _write(path: Path, doc: dict | None = None, mode: int = 0o600) -> Path:
    path.write_text(json.dumps(doc or _doc()))
    path.chmod(mode)
    return path


def _marker_command(tmp_path: Path) -> tuple[list[str], Path]:
    """A password command that leaves a file behind when it runs."""
    marker = tmp_path / "command-ran"
    code = f"open({str(marker)!r}, 'w').write('ran'); print('cmd-secret')"
    return [sys.executable, "-c", code], marker


def _zen(*args: str, home: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zenconfig", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(home)},
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


# -- the config file: what is opened --------------------------------------------


def test_a_fifo_is_refused_without_waiting_for_a_writer(home: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    done = _zen("--config", str(fifo), "config", "list", home=home, timeout=20)
    assert done.returncode == ExitCode.INVALID_CONFIG, done.stderr
    assert done.stderr.startswith(f"zen: error: is a FIFO (named pipe), not a config file ({fifo})")


@pytest.mark.parametrize(
    ("device", "kind"), [("/dev/zero", "a character device"), ("/dev/null", "a character device")]
)
def test_a_device_is_refused(home: Path, device: str, kind: str) -> None:
    done = _zen("--config", device, "config", "list", home=home, timeout=20)
    assert done.returncode == ExitCode.INVALID_CONFIG, done.stderr
    assert done.stderr.startswith(f"zen: error: is {kind}, not a config file ({device})")


def test_a_directory_is_refused(zen, tmp_path: Path) -> None:
    r = zen("--config", str(tmp_path), "config", "list")
    assert r.code == ExitCode.INVALID_CONFIG
    assert r.err.startswith(f"zen: error: is a directory, not a config file ({tmp_path})")


def test_a_huge_file_is_refused_before_it_is_read(zen, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    with path.open("wb") as handle:
        handle.truncate(3 * 1024 * 1024)  # sparse: 3 MiB of NUL bytes
    r = zen("--config", str(path), "config", "list")
    assert r.code == ExitCode.INVALID_CONFIG
    assert r.err.startswith(
        f"zen: error: larger than the 1 MiB limit of a config file (3,145,728 bytes) ({path})"
    )


def test_a_file_just_under_the_cap_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    text = json.dumps(_doc())
    path.write_text(text + " " * (configfile.MAX_BYTES - len(text)))
    assert configfile.load(path).document == _doc()


def test_a_non_ascii_path_is_named_as_it_is(zen, tmp_path: Path) -> None:
    path = _private_dir(tmp_path / "конфиг ✓") / "zen.json"
    path.write_text('{"version": 1, "storage": {"type": "memory",}}')
    r = zen("--config", str(path), "config", "list")
    assert r.code == ExitCode.INVALID_CONFIG
    assert f"({path}:1:" in r.err


# -- the config file: whose is it -------------------------------------------------


def test_trust_of_a_private_file(tmp_path: Path) -> None:
    path = _write(_private_dir(tmp_path / "cfg") / "config.json")
    loaded = configfile.load(path)
    assert loaded.trust is not None and loaded.trust.trusted
    assert loaded.trust.path == str(path.resolve())


@pytest.mark.parametrize(
    ("setup", "problem"),
    [
        ("file-mode", "{file} is writable by group or others"),
        ("file-owner", "{file} belongs to nobody (uid 65534), not to you"),
        ("dir-mode", "{dir} is writable by group or others"),
        ("dir-owner", "{dir} belongs to nobody (uid 65534), not to you"),
        ("grandparent-mode", "{top} is writable by group or others"),
    ],
)
def test_trust_names_what_others_can_change(tmp_path: Path, setup: str, problem: str) -> None:
    top = _private_dir(tmp_path / "top")
    directory = _private_dir(top / "cfg")
    path = _write(directory / "config.json")
    if setup == "file-mode":
        path.chmod(0o666)
    elif setup == "file-owner":
        os.chown(path, NOBODY, NOBODY)
    elif setup == "dir-mode":
        directory.chmod(0o777)
    elif setup == "dir-owner":
        os.chown(directory, NOBODY, NOBODY)
    else:
        top.chmod(0o777)
    trust = configfile.load(path).trust
    assert trust is not None and not trust.trusted
    assert trust.problem == problem.format(file=path, dir=directory, top=top)


def test_a_sticky_root_directory_is_trusted_like_tmp(tmp_path: Path) -> None:
    """Others may add entries to a sticky directory, never rename or remove ours."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    path = _write(shared / "config.json")
    assert configfile.load(path).trust.trusted  # type: ignore[union-attr]
    shared.chmod(0o0777)  # the same without the sticky bit: anyone can swap the file
    assert configfile.load(path).trust.problem == f"{shared} is writable by group or others"  # type: ignore[union-attr]


def test_a_symlinked_config_is_judged_by_its_target(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    private = _private_dir(tmp_path / "private")
    # a link in a private directory to a file in a shared one: the target's directory counts
    target = _write(shared / "real.json")
    link = private / "config.json"
    link.symlink_to(target)
    trust = configfile.load(link).trust
    assert trust is not None
    assert (trust.path, trust.problem) == (str(target), f"{shared} is writable by group or others")
    # a link anywhere to a private file (dotfile managers): trusted
    good = _write(private / "good.json")
    other = shared / "link.json"
    other.symlink_to(good)
    assert configfile.load(other).trust.trusted  # type: ignore[union-attr]


# -- the password command of an untrusted file ----------------------------------


def test_the_command_of_a_file_in_a_shared_directory_never_runs(zen, tmp_path: Path) -> None:
    """A config symlinked to a file in a shared directory: the target's directory
    decides (it used to be the link's), and the refusal is exit 3, not a fallback."""
    command, marker = _marker_command(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    target = _write(shared / "real.json", _doc(command))
    link = _private_dir(tmp_path / "private") / "config.json"
    link.symlink_to(target)
    r = zen("--config", str(link), "config", "show", "p1", "--reveal")
    assert r.code == ExitCode.INVALID_CONFIG, r
    assert r.err.startswith(
        "zen: error: refusing to run the password command of project 'p1': "
        f"{shared} is writable by group or others ({shared})"
    )
    assert "chmod go-w" in r.err
    assert not marker.exists()


def test_the_verdict_is_on_the_file_that_was_parsed(tmp_path: Path) -> None:
    command, marker = _marker_command(tmp_path)
    path = _write(_private_dir(tmp_path / "cfg") / "config.json", _doc(command), mode=0o666)
    loaded = configfile.load(path)
    ref = loaded.document["storage"]["redis"]["connections"]["p1"]["password"]
    path.chmod(0o600)  # fixed after it was read: what was parsed was still writable by others
    with pytest.raises(CommandRefusedError) as info:
        secrets.resolve(ref, "p1", loaded)
    assert info.value.exit_code == ExitCode.INVALID_CONFIG
    assert not marker.exists()
    # the other way round: read while private, then loosened: the parsed bytes were safe
    loaded = configfile.load(path)
    path.chmod(0o666)
    assert secrets.resolve(ref, "p1", loaded) == "cmd-secret"
    assert secrets.resolve(ref, "p1", loaded.trust) == "cmd-secret"
    with pytest.raises(CommandRefusedError):  # a path is judged again: now refused
        secrets.resolve(ref, "p1", path)


def test_a_refused_command_never_falls_back_to_memory(tmp_path: Path) -> None:
    from zenconfig import runtime

    command, marker = _marker_command(tmp_path)
    path = _write(_private_dir(tmp_path / "cfg") / "config.json", _doc(command), mode=0o646)
    runtime.reset()
    with pytest.raises(CommandRefusedError, match="refusing to run the password command"):
        runtime.open_storage(config=path)
    assert not marker.exists()


def test_a_refusal_is_not_an_unavailable_secret() -> None:
    from zenconfig.errors import SecretUnavailableError

    assert not issubclass(CommandRefusedError, SecretUnavailableError)
    assert not issubclass(CommandRefusedError, ConfigError)


# -- .zen-project ------------------------------------------------------------------


@pytest.fixture
def projects(zen, config_file: Path) -> Path:
    """p1 (the default) and p2; the working directory is private."""
    assert zen("config", "add-project", "p1", "--use").code == 0
    assert zen("config", "add-project", "p2", "--db", "1").code == 0
    Path.cwd().chmod(0o755)
    return config_file


def _current(zen) -> str:
    r = zen("config", "current")
    assert r.code == 0, r
    return r.out.split()[0]


def test_a_plain_project_file_is_honoured(zen, projects: Path) -> None:
    Path(".zen-project").write_text("# pinned\np2\n")
    assert _current(zen) == "p2"


@pytest.mark.parametrize("target", ["/proc/self/environ", "name-file"])
def test_a_symlinked_project_file_is_never_read(zen, projects: Path, target: str) -> None:
    if target == "name-file":
        Path(target).write_text("p2\n")
    Path(".zen-project").symlink_to(target)
    r = zen("config", "current")
    assert (r.code, r.out.split()[0]) == (0, "p1"), r
    assert "HOME=" not in r.out + r.err and "PATH=" not in r.out + r.err


def test_use_here_never_writes_through_a_symlink(zen, projects: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    Path(".zen-project").symlink_to(victim)
    r = zen("config", "use", "p2", "--here")
    assert r.code == 0, r
    assert victim.read_text() == "precious\n"
    assert not Path(".zen-project").is_symlink()
    assert Path(".zen-project").read_text() == "p2\n"
    assert _current(zen) == "p2"


def test_a_huge_project_file_is_not_read(zen, projects: Path) -> None:
    with open(".zen-project", "wb") as handle:
        handle.truncate(1024**3)  # 1 GiB, sparse
    r = zen("config", "current")
    assert r.code == ExitCode.INVALID_CONFIG, r
    assert r.err.startswith(
        "zen: error: a .zen-project file holds one project name (this one is over 512 bytes)"
    )


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("file-owner", "it belongs to another user"),
        ("file-mode", "it is writable by others"),
        ("dir-mode", "its directory is writable by others"),
        ("dir-owner", "its directory belongs to another user"),
        ("fifo", "it is not a regular file"),
        ("symlink", "it is a symlink (never followed)"),
    ],
)
def test_an_untrusted_project_file_is_skipped(zen, projects: Path, setup: str, reason: str) -> None:
    from zenconfig import projectfile

    here = Path.cwd() / "repo"
    here.mkdir()
    marker = here / ".zen-project"
    if setup == "fifo":
        os.mkfifo(marker)
    elif setup == "symlink":
        (here / "name").write_text("p2\n")
        marker.symlink_to(here / "name")
    else:
        marker.write_text("p2\n")
    if setup == "file-owner":
        os.chown(marker, NOBODY, NOBODY)
    elif setup == "file-mode":
        marker.chmod(0o666)
    elif setup == "dir-mode":
        here.chmod(0o777)
    elif setup == "dir-owner":
        os.chown(here, NOBODY, NOBODY)
    os.chdir(here)
    assert _current(zen) == "p1"  # as if it were absent
    [found] = [f for f in projectfile.chain(here) if f.path == marker]
    assert (found.name, found.skipped) == (None, reason)


def test_a_project_file_in_a_sticky_directory_of_root_is_trusted(zen, projects: Path) -> None:
    shared = Path.cwd() / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    (shared / ".zen-project").write_text("p2\n")
    os.chdir(shared)
    assert _current(zen) == "p2"


@pytest.mark.parametrize(
    "content",
    [
        b"\x1b[31mp2\n",
        b"p2\x07\n",
        "проект\n".encode(),
        b"p2\np1\n",
        b"\xff\xfe\n",
        b"p2\r\x1b]0;x\n",
    ],
)
def test_a_bad_project_file_is_never_echoed(zen, projects: Path, content: bytes) -> None:
    Path(".zen-project").write_bytes(content)
    r = zen("config", "current")
    assert r.code == ExitCode.INVALID_CONFIG, r
    assert r.err.startswith(
        "zen: error: a .zen-project file holds one project name and nothing else "
        f"({Path.cwd() / '.zen-project'})"
    )
    for piece in (b"\x1b", b"\x07", "проект".encode(), b"\xff"):
        assert piece not in (r.out + r.err).encode(errors="surrogateescape")


def test_control_characters_in_a_directory_name_are_escaped(zen, projects: Path) -> None:
    hostile = Path.cwd() / "repo\x1b[2J\x07"
    hostile.mkdir()
    (hostile / ".zen-project").write_text("not a name!\n")
    os.chdir(hostile)
    r = zen("config", "current")
    assert r.code == ExitCode.INVALID_CONFIG, r
    assert "\x1b" not in r.err and "\x07" not in r.err
    assert "repo\\x1b[2J\\x07/.zen-project" in r.err


def test_use_here_in_a_directory_it_cannot_write_names_the_file(zen, projects: Path) -> None:
    blocked = Path.cwd() / "blocked"
    blocked.mkdir()
    (blocked / ".zen-project").mkdir()  # a directory where the file would go
    os.chdir(blocked)
    r = zen("config", "use", "p2", "--here")
    assert r.code == ExitCode.ERROR, r
    assert r.err.startswith("zen: error: cannot write the file: Is a directory (")
    assert "internal error" not in r.err


# -- the password command: more of the config file's hostile shapes ---------------------


def test_the_command_of_a_config_owned_by_someone_else_never_runs(zen, tmp_path: Path) -> None:
    command, marker = _marker_command(tmp_path)
    path = _write(_private_dir(tmp_path / "cfg") / "config.json", _doc(command))
    os.chown(path, NOBODY, NOBODY)
    r = zen("--config", str(path), "config", "show", "p1", "--reveal")
    assert r.code == ExitCode.INVALID_CONFIG, r
    assert f"{path} belongs to nobody (uid 65534), not to you" in r.err
    assert not marker.exists()


def test_a_non_ascii_command_and_config_path_work(zen, tmp_path: Path) -> None:
    script = _private_dir(tmp_path / "проект ✓") / "пароль.py"
    script.write_text("print('секрет-1')\n")
    path = _write(
        _private_dir(tmp_path / "конфиг") / "config.json", _doc([sys.executable, str(script)])
    )
    r = zen("--config", str(path), "config", "show", "p1", "--reveal", "--json")
    assert r.code == 0, r
    assert json.loads(r.out)["password"]["value"] == "секрет-1"


def test_a_command_that_floods_its_output_is_stopped(zen, tmp_path: Path) -> None:
    flood = [sys.executable, "-c", "import sys\nwhile True: sys.stdout.write('z' * 1048576)"]
    path = _write(_private_dir(tmp_path / "cfg") / "config.json", _doc(flood))
    r = zen("--config", str(path), "config", "show", "p1", "--reveal")
    assert r.code == ExitCode.KEYRING_UNAVAILABLE, r
    assert "printed more than 64 KiB (a password is one line)" in r.err
    assert "zzzz" not in r.out + r.err


def test_use_here_refuses_a_directory_where_the_file_would_be_ignored(zen, projects: Path) -> None:
    shared = Path.cwd() / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    os.chdir(shared)
    r = zen("config", "use", "p2", "--here")
    assert r.code == ExitCode.ERROR, r
    assert r.err.startswith(
        "zen: error: a .zen-project here would be ignored: its directory is writable by others"
    )
    assert not (shared / ".zen-project").exists()


@pytest.mark.parametrize(
    ("spelled", "dotted"),
    [
        ('"p1": {"host": "a\\udcffb"}', "storage.redis.connections.p1.host"),
        ('"p1": {"key_prefix": "zen:\\udcff:"}', "storage.redis.connections.p1.key_prefix"),
        ('"p1": {"username": "\\ud800"}', "storage.redis.connections.p1.username"),
        ('"p1\\udcff": {}', "storage.redis.connections: 'p1\\udcff'"),
    ],
)
def test_a_lone_surrogate_in_the_file_is_an_invalid_value(
    config_file: Path, spelled: str, dotted: str
) -> None:
    """JSON can spell half a character (``\\udcff``): no host, key or name can be made
    of it, so every reader of the file (the quick paths too) refuses it as invalid,
    naming the key; none fails later with a traceback."""
    from tests.conftest import run_zen

    config_file.parent.mkdir(mode=0o700, exist_ok=True)
    config_file.write_text(
        '{"version": 1, "storage": {"type": "redis", "redis": {"default": "p1", '
        f'"connections": {{{spelled}}}}}}}}}'
    )
    for command in (["config", "list"], ["config", "validate"], ["storage", "threads"]):
        done = run_zen(*command)
        assert done.returncode == ExitCode.INVALID_CONFIG, (command, done.stderr)
        assert dotted in done.stderr and "lone surrogate" in done.stderr
        assert "Traceback" not in done.stderr


def test_zen_variables_that_are_not_utf8_are_named() -> None:
    """zen's REDIS_* variables with a byte that is not UTF-8 (no config file)."""
    from tests.conftest import run_zen

    for name in ("REDIS_HOST", "REDIS_KEY_PREFIX"):
        done = run_zen("config", "list", env={name: "h\udcff", "REDIS_PORT": "1"})
        assert done.returncode == ExitCode.INVALID_CONFIG, done.stderr
        assert f"{name} is not UTF-8 text" in done.stderr and "Traceback" not in done.stderr
