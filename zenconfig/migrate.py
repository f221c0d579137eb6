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
from .errors import ConfigError, UsageError, ZenConfigError
from .migrations import envfile, scrub, spans


@dataclass
class Result:
    kind: str  # "legacy", "env" or "none"
    source: Path | None = None
    moved: list[str] = field(default_factory=list)  # keyring entries written
    backup: Path | None = None
    diff: str = ""
    applied: bool = False
    rewritten: bool = False  # the backup was written from the parsed document
    taken: dict[str, str] = field(default_factory=dict, repr=False)
    secrets: set[str] = field(default_factory=set, repr=False)


def _diff(old: str, new: str, old_name: str, new_name: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name
    )
    return "".join(lines)


def env_candidates() -> list[Path]:
    home = Path.home()
    return [home / paths.CONFIG_DIR_NAME / ".env", home / ".zen" / ".env"]


def _read_env(text: str) -> dict[str, str | None]:
    import io

    from dotenv import dotenv_values

    return dict(dotenv_values(stream=io.StringIO(text)))


def _text(path: Path) -> str | None:
    """A file's text, read once from one descriptor (FIFOs, devices, huge files refused)."""
    found = configfile.read(path)
    if found is None:
        return None
    try:
        return found[0].decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"not UTF-8 text (byte {e.start})", where=str(path)) from e


def _legacy(config_path: Path, text: str, scope: str) -> tuple[Result, list[tuple[Path, str]]]:
    document, directive = configfile.parse(text.encode("utf-8"), config_path)
    if not migrations.is_legacy(document):
        configfile.check(document, config_path)  # newer: refused; invalid: said so
        return Result("none", config_path), []
    new, taken = migrations.legacy_inline_passwords(document, scope)
    configfile.validate(new, config_path)
    new_text = configfile.serialize(new, config_path, directive).decode("utf-8")
    toml = paths.is_toml(config_path)

    def note(project: str) -> str:
        return migrations.note(project, scope)

    backup = scrub.document(text, document, taken, note, toml=toml, mask=False)
    masked = scrub.document(text, document, taken, note, toml=toml, mask=True)
    path = paths.backup_path(config_path)
    result = Result("legacy", config_path, backup=path, rewritten=backup.rewritten)
    result.diff = _diff(masked.text, new_text, str(config_path), str(config_path))
    result.taken = taken
    result.secrets = {v for _, v in scrub.password_values(document)} | set(taken.values())
    return result, [(path, backup.text), (config_path, new_text)]


def _env(
    config_path: Path, source: Path, text: str, name: str, scope: str
) -> tuple[Result, list[tuple[Path, str]]]:
    try:
        new, taken = migrations.env_file_project(_read_env(text), name, scope)
        configfile.validate(new, config_path)
    except ConfigError as e:  # about the .env's values, not the file that does not exist yet
        e.where = (
            str(source)
            if e.where is None or e.where == str(config_path)
            else (f"{e.where} in {source}")
        )
        e.hint = "fix the value in the .env file, then run zen config migrate again"
        raise
    new_text = configfile.serialize(new, config_path).decode("utf-8")
    note = migrations.note(name, scope)
    scrubbed = envfile.scrub(text, taken.get(name), note, mask=False)
    masked = envfile.scrub(text, taken.get(name), note, mask=True)
    result = Result("env", source, backup=source, rewritten=scrubbed.rewritten)
    result.diff = _diff("", new_text, "/dev/null", str(config_path)) + _diff(
        masked.text, scrubbed.text, str(source), str(source)
    )
    result.taken = taken
    result.secrets = set(taken.values()) | {
        b.value for b in spans.env_bindings(text) if b.key == envfile.KEY and b.value
    }
    return result, [(config_path, new_text), (source, scrubbed.text)]


def migrate(
    config_path: Path, *, dry_run: bool = False, env_file: Path | None = None, name: str = "zen"
) -> Result:
    from .secrets import scope as scope_of

    scope = scope_of(config_path)
    text = _text(config_path)
    if text is not None:
        if env_file is not None:
            raise UsageError(
                "--env-file is for a first config file, and one exists",
                where=str(config_path),
                hint="move it aside to build a new one from the .env, or add projects with "
                "zen config add-project",
            )
        result, writes = _legacy(config_path, text, scope)
    else:
        if env_file is not None and not env_file.is_file():
            raise ZenConfigError(
                "no such .env file (named by --env-file)",
                where=str(env_file),
                hint="check the path; zen keeps it in ~/.zen/.env",
            )
        candidates = [env_file] if env_file else env_candidates()
        source = next((p for p in candidates if p.is_file()), None)
        env_text = _text(source) if source is not None else None
        if (
            source is None
            or env_text is None
            or not migrations.has_env_settings(_read_env(env_text))
        ):
            return Result("none")
        result, writes = _env(config_path, source, env_text, name, scope)
    if result.kind == "none":
        return result
    if scrub.leaks(result.diff, result.secrets):
        raise ConfigError(
            "cannot show the changes without showing a password; nothing was changed",
            where=str(result.source),
        )
    users = {project: migrations.username(project, scope) for project in result.taken}
    result.moved = [f"{defaults.KEYRING_SERVICE}/{user}" for user in users.values()]
    if dry_run:
        return result
    from . import secrets

    if result.taken:
        secrets.backend_name()
        for project, secret in result.taken.items():
            secrets.set_password(defaults.KEYRING_SERVICE, users[project], secret)
    with configfile.locked(config_path):
        for target, content in writes:
            configfile.atomic_write(target, content.encode("utf-8"), keep_backup=False)
    result.applied = True
    return result
