"""The architecture as a checked contract: layers (import-linter, configured in
pyproject.toml) and which module alone may import each third-party client."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "zenconfig"

# third-party (or standard) module -> the only place in the package that may import it
ONLY = {
    "redis": "zenconfig/storage/redis/",
    "keyring": "zenconfig/secrets.py",
    "sqlite3": "zenconfig/storage/local.py",
    "pydantic_settings": "zenconfig/runtime/explain.py",
    "rich": "zenconfig/cli/",
    "click": "zenconfig/cli/hosting.py",
}


def _imports(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports, lazily or not."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("module", sorted(ONLY))
def test_only_one_place_imports(module: str) -> None:
    allowed = ONLY[module]
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted(PACKAGE.rglob("*.py"))
        if module in _imports(path) and not str(path.relative_to(ROOT)).startswith(allowed)
    ]
    assert offenders == [], f"only {allowed} may import {module}"


def test_layers_and_no_cycles() -> None:
    """import-linter: each layer imports only the layers below it (see pyproject.toml)."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "BROKEN" not in done.stdout


def _mirror(module: Path) -> Path:
    """tests/<dir>/test_<name>.py for zenconfig/<dir>/<name>.py."""
    relative = module.relative_to(PACKAGE)
    return ROOT / "tests" / relative.parent / f"test_{relative.name}"


def test_tests_mirror_the_package() -> None:
    """Every module has its test module at the mirrored path, and every package its test
    package (a package's ``__init__`` and ``__main__`` are covered by their package's tests)."""
    modules = [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name not in {"__init__.py", "__main__.py"}
    ]
    missing = [
        str(_mirror(path).relative_to(ROOT)) for path in modules if not _mirror(path).exists()
    ]
    assert missing == [], "modules without a mirrored test module"
    packages = [path.parent for path in PACKAGE.rglob("__init__.py") if path.parent != PACKAGE]
    unmirrored = [
        str(package.relative_to(ROOT))
        for package in packages
        if not (ROOT / "tests" / package.relative_to(PACKAGE) / "__init__.py").exists()
    ]
    assert unmirrored == [], "packages without a test package"
