"""zen config migrate: apply the steps of ``migrations`` to the files on disk.

Secrets go to the keyring first; then the scrubbed original is written as the
backup (0600) and the new file replaces the old one. A newer file is refused;
a current one is left alone, so running twice changes nothing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from . import configfile, defaults, migrations, paths


@dataclass
class Result:
    kind: str  # "legacy", "env" or "none"
    source: Path | None = None
    moved: list[str] = field(default_factory=list)  # keyring entries written
    backup: Path | None = None
    diff: str = ""
    applied: bool = False


def _diff(old: str, new: str, old_name: str, new_name: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name
    )
    return "".join(lines)


def env_candidates() -> list[Path]:
    home = Path.home()
    return [home / paths.CONFIG_DIR_NAME / ".env", home / ".zen" / ".env"]


def _read_env(path: Path) -> dict[str, str | None]:
    from dotenv import dotenv_values

    return dict(dotenv_values(path))


def migrate(
    config_path: Path, *, dry_run: bool = False, env_file: Path | None = None, name: str = "zen"
) -> Result:
    from .secrets import scope as scope_of

    scope = scope_of(config_path)
    if config_path.exists():
        raw = config_path.read_bytes()
        document, directive = configfile.parse(raw, config_path)
        if not migrations.is_legacy(document):
            configfile.check(document, config_path)  # newer: refused; invalid: said so
            return Result("none", config_path)
        new, taken = migrations.legacy_inline_passwords(document, scope)
        configfile.validate(new, config_path)
        old_text = raw.decode("utf-8")
        new_text = configfile.serialize(new, config_path, directive).decode("utf-8")
        backup_text = migrations.scrub_document_text(
            old_text, taken, scope, paths.is_toml(config_path)
        )
        backup = paths.backup_path(config_path)
        result = Result("legacy", config_path, backup=backup)
        result.diff = migrations.mask(
            _diff(old_text, new_text, str(config_path), str(config_path)), taken
        )
        writes = [(backup, backup_text), (config_path, new_text)]
    else:
        candidates = [env_file] if env_file else env_candidates()
        source = next((p for p in candidates if p.is_file()), None)
        if source is None or not migrations.has_env_settings(_read_env(source)):
            return Result("none")
        new, taken = migrations.env_file_project(_read_env(source), name, scope)
        configfile.validate(new, config_path)
        new_text = configfile.serialize(new, config_path).decode("utf-8")
        env_text = source.read_text(encoding="utf-8")
        scrubbed = migrations.scrub_env_text(env_text, name, scope)
        result = Result("env", source, backup=source)
        result.diff = migrations.mask(
            _diff("", new_text, "/dev/null", str(config_path))
            + _diff(env_text, scrubbed, str(source), str(source)),
            taken,
        )
        writes = [(config_path, new_text), (source, scrubbed)]
    users = {project: migrations.username(project, scope) for project in taken}
    result.moved = [f"{defaults.KEYRING_SERVICE}/{user}" for user in users.values()]
    if dry_run:
        return result
    from . import secrets

    if taken:
        secrets.backend_name()
        for project, secret in taken.items():
            secrets.set_password(defaults.KEYRING_SERVICE, users[project], secret)
    with configfile.locked(config_path):
        for target, text in writes:
            configfile.atomic_write(target, text.encode("utf-8"), keep_backup=False)
    result.applied = True
    return result
