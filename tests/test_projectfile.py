"""The .zen-project reader and writer (zenconfig.projectfile), directly."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from zenconfig import projectfile
from zenconfig.errors import ConfigError


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    top = tmp_path / "top"
    inner = top / "a" / "b"
    inner.mkdir(parents=True)
    for d in (tmp_path, top, top / "a", inner):
        d.chmod(0o755)
    return top, inner


def test_the_nearest_trusted_file_wins(tmp_path: Path) -> None:
    top, inner = _tree(tmp_path)
    (top / ".zen-project").write_text("outer\n")
    (inner / ".zen-project").write_text("inner\n")
    assert projectfile.find(inner).name == "inner"  # type: ignore[union-attr]
    (inner / ".zen-project").chmod(0o666)  # skipped: the search goes on upwards
    found = projectfile.find(inner)
    assert found is not None and (found.name, found.path) == ("outer", top / ".zen-project")
    assert [(f.name, f.skipped) for f in projectfile.chain(inner)][:2] == [
        (None, "it is writable by others"),
        ("outer", None),
    ]


def test_comments_and_blank_lines_aside_one_name(tmp_path: Path) -> None:
    path = tmp_path / ".zen-project"
    path.write_text("# this repository's project\n\n  p-1.x_2  \n")
    assert projectfile.read(path).name == "p-1.x_2"  # type: ignore[union-attr]
    path.write_text("a\nb\n")
    with pytest.raises(ConfigError, match="holds one project name and nothing else"):
        projectfile.read(path)


@pytest.mark.parametrize(
    ("size", "ok"), [(projectfile.MAX_BYTES, True), (projectfile.MAX_BYTES + 1, False)]
)
def test_the_size_cap(tmp_path: Path, size: int, ok: bool) -> None:
    path = tmp_path / ".zen-project"
    path.write_text("p1\n" + "#" * (size - 4) + "\n")
    assert path.stat().st_size == size
    if ok:
        assert projectfile.read(path).name == "p1"  # type: ignore[union-attr]
    else:
        with pytest.raises(ConfigError, match=f"over {projectfile.MAX_BYTES} bytes"):
            projectfile.read(path)


def test_absent_and_odd_parents(tmp_path: Path) -> None:
    assert projectfile.read(tmp_path / ".zen-project") is None
    assert projectfile.read(tmp_path / "missing" / ".zen-project") is None
    (tmp_path / "file").write_text("")
    assert projectfile.read(tmp_path / "file" / ".zen-project") is None


def test_the_writer_replaces_a_symlink_and_leaves_no_temp(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    (tmp_path / ".zen-project").symlink_to(victim)
    written = projectfile.write(tmp_path, "p1")
    assert victim.read_text() == "keep\n"
    assert not written.is_symlink() and written.read_text() == "p1\n"
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert projectfile.read(written).name == "p1"  # type: ignore[union-attr]


def test_the_directory_judged_is_the_one_read_from(tmp_path: Path) -> None:
    """A path through a symlinked directory: the real directory's owner and mode count."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    (shared / ".zen-project").write_text("p1\n")
    alias = tmp_path / "alias"
    alias.symlink_to(shared, target_is_directory=True)
    found = projectfile.read(alias / ".zen-project")
    assert found is not None and found.skipped == "its directory is writable by others"
    os.chown(shared, 65534, 65534)
    shared.chmod(0o755)
    found = projectfile.read(alias / ".zen-project")
    assert found is not None and found.skipped == "its directory belongs to another user"
