"""zenconfig.configfile.reading: one descriptor, checked with fstat, read whole or refused."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from zenconfig.configfile.reading import MAX_BYTES, read
from zenconfig.errors import ConfigError, ExitCode


def test_an_absent_file_and_a_dangling_link_read_as_none(tmp_path: Path) -> None:
    assert read(tmp_path / "none.json") is None
    link = tmp_path / "config.json"
    link.symlink_to(tmp_path / "gone.json")
    assert read(link) is None


def test_the_bytes_come_back_as_read_with_the_opened_files_trust(tmp_path: Path) -> None:
    real = tmp_path / "real" / "zen.json"
    real.parent.mkdir(mode=0o700)
    raw = b'\xef\xbb\xbf{"version": 1}\r\n\xff'  # not decoded here: parsing decides
    real.write_bytes(raw)
    real.chmod(0o600)
    link = tmp_path / "config.json"
    link.symlink_to(real)
    found = read(link)
    assert found is not None
    data, trust = found
    assert data == raw
    assert trust.path == str(real)  # the file opened, not the link's name


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("under-a-file", "a parent of it is not a directory"),
        ("link-loop", "too many levels of symbolic links"),
    ],
)
def test_a_path_that_cannot_be_opened_names_why(tmp_path: Path, setup: str, reason: str) -> None:
    if setup == "under-a-file":
        (tmp_path / "plain").write_text("")
        path = tmp_path / "plain" / "config.json"
    else:
        path = tmp_path / "config.json"
        path.symlink_to(tmp_path / "other.json")
        (tmp_path / "other.json").symlink_to(path)
    with pytest.raises(ConfigError) as info:
        read(path)
    assert info.value.message == f"cannot read the file: {reason}"
    assert info.value.where == str(path)
    assert info.value.exit_code == ExitCode.INVALID_CONFIG


def test_a_socket_is_refused_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Linux refuses to open a socket (ENXIO) before fstat could name its kind."""
    monkeypatch.chdir(tmp_path)  # a short relative name: socket paths are limited to 108 bytes
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind("config.json")
        with pytest.raises(ConfigError) as info:
            read(Path("config.json"))
        assert info.value.message == "cannot read the file: No such device or address"
        assert (info.value.where, info.value.exit_code) == ("config.json", ExitCode.INVALID_CONFIG)
    finally:
        server.close()


def test_a_file_that_reads_past_the_cap_is_refused() -> None:
    """A regular file whose size says 0 (procfs) but holds more than MAX_BYTES:
    the cap is enforced on what is read, not only on what fstat said."""
    source = Path("/proc/kallsyms")
    try:
        stat_size = source.stat().st_size
        with source.open("rb") as handle:
            enough = len(handle.read(MAX_BYTES + 1)) > MAX_BYTES
    except OSError:
        pytest.skip("/proc/kallsyms is not readable here")
    if stat_size != 0 or not enough:
        pytest.skip("/proc/kallsyms is not a size-0 file of more than 1 MiB here")
    with pytest.raises(ConfigError) as info:
        read(source)
    assert info.value.message == (
        "larger than the 1 MiB limit of a config file (it grew while being read)"
    )
    assert info.value.where == str(source)


def test_the_descriptor_is_closed_whatever_happens(tmp_path: Path) -> None:
    def open_descriptors() -> int:
        return len(os.listdir("/proc/self/fd"))

    good = tmp_path / "config.json"
    good.write_text("{}")
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    before = open_descriptors()
    for _ in range(5):
        assert read(good) is not None
        with pytest.raises(ConfigError, match="larger than the 1 MiB limit"):
            read(big)
        with pytest.raises(ConfigError, match="is a directory"):
            read(tmp_path)
    assert open_descriptors() == before
