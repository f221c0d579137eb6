"""zen config doctor: the whole set-up, one finding per line. Never prints."""

from __future__ import annotations

import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import configfile, defaults, paths, projectfile, rules, spec
from .errors import ZenConfigError
from .runtime import zenenv
from .text import printable


@dataclass
class Finding:
    check: str
    status: str  # ok | warn | fail
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _permissions(path: Path) -> list[Finding]:
    found = []
    for item, want in ((path, 0o600), (path.parent, 0o700)):
        st = item.stat()
        mode = stat.S_IMODE(st.st_mode)
        what = "file" if item == path else "directory"
        if st.st_uid != os.getuid():
            found.append(Finding("permissions", "fail", f"{item} is not owned by you"))
        elif mode & 0o077:
            found.append(
                Finding(
                    "permissions",
                    "warn",
                    f"{what} {item} is {mode:04o}; run: chmod {want:o} {item}",
                )
            )
        else:
            found.append(Finding("permissions", "ok", f"{what} {item} is {mode:04o}"))
    return found


def _project_files(cwd: Path | None, known: list[str] | None) -> list[Finding]:
    """Every .zen-project up the chain: which one applies, which are skipped and why."""
    found = []
    applies = True
    try:
        chain = projectfile.chain(cwd)
    except ZenConfigError as e:
        return [Finding(".zen-project", "fail", str(e))]
    for item in chain:
        if item.skipped is not None:
            found.append(Finding(".zen-project", "warn", f"{item.path} ignored: {item.skipped}"))
            continue
        name = item.name or ""
        if known is not None and name not in known:
            status, detail = "fail", f"{item.path} names '{name}', which is not a project"
        else:
            status, detail = "ok", f"{item.path} names '{name}'"
        if applies:
            detail += " (this one applies)"
            applies = False
        found.append(Finding(".zen-project", status if applies is False else "ok", detail))
    if not found:
        found.append(Finding(".zen-project", "ok", "none in this directory or its parents"))
    return found


def _env() -> list[Finding]:
    found = []
    for name, what in (
        (paths.ENV_CONFIG, "chooses the config file"),
        (paths.ENV_PROJECT, "overrides .zen-project and the file's default"),
        (paths.ENV_STORAGE_TYPE, "overrides .zen-project and storage.type"),
    ):
        if os.environ.get(name):
            found.append(
                Finding("environment", "warn", f"{name}={printable(os.environ[name], 80)} {what}")
            )
    names = {paths.ENV_CONFIG, paths.ENV_PROJECT, paths.ENV_STORAGE_TYPE}
    for other in sorted(os.environ):
        if other.upper() in names and other not in names:
            found.append(
                Finding(
                    "environment",
                    "warn",
                    f"{other} is ignored (names are upper case: {other.upper()})",
                )
            )
    return found or [Finding("environment", "ok", "no ZEN_* variable shadows the file")]


def _prefixes(document: spec.Document) -> list[Finding]:
    """Overlapping prefixes, with host names looked up (the file check compares names)."""
    overlaps = rules.prefix_overlaps(spec.connections(document), resolve=True)
    if not overlaps:
        return [
            Finding("prefixes", "ok", "no two projects on one server share or nest a key prefix")
        ]
    return [
        Finding(
            "prefixes",
            "fail",
            f"projects '{a}' and '{b}' reach the same server with overlapping key prefixes",
        )
        for a, b in overlaps
    ]


def run(
    path: Path, path_source: str, cwd: Path | None = None, timeout: float | None = None
) -> list[Finding]:
    from . import health, secrets

    findings = [Finding("config file", "ok", f"{path} (from {path_source})")]
    if not path.exists():
        if path_source != "default":
            detail = f"{path} does not exist (named by {path_source})"
            findings[0] = Finding("config file", "fail", detail)
        elif zenenv.present(os.environ):
            findings[0] = Finding(
                "config file",
                "warn",
                f"{path} does not exist; zen's REDIS_* variables describe project "
                f"'{zenenv.PROJECT}' (used when ZEN_STORAGE_TYPE=redis); keep them in a "
                "config file with: zen config migrate",
            )
        else:
            findings[0] = Finding(
                "config file", "warn", f"{path} does not exist; storage is memory"
            )
        return findings + _project_files(cwd, None) + _env()
    findings += _permissions(path)
    try:
        loaded = configfile.load(path)
        config = loaded.config
    except ZenConfigError as e:
        findings.append(Finding("validation", "fail", str(e)))
        return findings + _project_files(cwd, None) + _env()
    findings.append(Finding("validation", "ok", f"valid, version {config.version}"))
    schema_ref = loaded.document.get("$schema") or loaded.toml_schema
    if schema_ref and not (path.parent / schema_ref).exists() and "://" not in schema_ref:
        findings.append(
            Finding("schema", "warn", f"$schema points at {schema_ref}, which is missing")
        )
    projects = spec.projects(loaded.document)
    uses_keyring = any(
        c.password is not None and c.password["source"] == "keyring" for c in projects.values()
    )
    try:
        backend = secrets.backend_name()
        # a read reaches the collection itself: a locked one fails here, not at the backend
        secrets.get_password(defaults.KEYRING_SERVICE, "zen-doctor-probe")
        findings.append(Finding("keyring", "ok", f"usable (a read succeeded): {backend}"))
    except ZenConfigError as e:
        findings.append(Finding("keyring", "fail" if uses_keyring else "warn", e.message))
    findings += _prefixes(loaded.document)
    for report in health.check_many(projects, loaded, timeout):
        failure = report.failure
        if failure is None:
            server = report.server
            detail = (
                f"{report.address}: ok, Redis {server.get('version', '?')} "
                f"({server.get('role', '?')}), {server.get('latency_ms', '?')} ms"
            )
            findings.append(Finding(f"project {report.project}", "ok", detail))
        else:
            findings.append(
                Finding(f"project {report.project}", "fail", f"{failure.name}: {failure.detail}")
            )
        warnings = projects[report.project].tls_warnings()
        findings += [Finding(f"project {report.project}", "warn", w) for w in warnings]
    findings += _local_database(loaded)
    storage = config.storage
    what = f"type {storage.type}"
    if storage.type == "redis":
        what += f", default project {storage.redis.default}"
    findings.append(Finding("storage", "ok", f"{what}, fallback {storage.fallback}"))
    return findings + _project_files(cwd, sorted(projects)) + _env()


def _local_database(loaded: configfile.Loaded) -> list[Finding]:
    """The local store's database, when it is in use, configured or present."""
    from .storage import local_doctor

    local = spec.local(loaded.document)
    in_use = spec.storage(loaded.document).type == "local"
    configured = "local" in (loaded.document.get("storage") or {})
    if not (in_use or configured or local.resolved(loaded.path).exists()):
        return []
    return [
        Finding(c.check, c.status, c.detail)
        for c in local_doctor.check_database(local, loaded.path)
    ]


def summary(findings: list[Finding]) -> dict[str, Any]:
    counts = {s: sum(f.status == s for f in findings) for s in ("ok", "warn", "fail")}
    return {"findings": [f.as_dict() for f in findings], **counts}
