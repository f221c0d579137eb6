"""The ``zen config`` Typer app; a host CLI mounts it with one line:

app.add_typer(config_app, name="config")
"""

from __future__ import annotations

from typing import Any

from . import files, health, projects, views
from .boundary import new_app

config_app = new_app(
    "config", "Manage zen's storage configuration: projects, the default, passwords."
)

EXAMPLES = {
    "init": "zen config init --format toml",
    "add-project": "printf '%s' \"$PW\" | zen config add-project p1 --url redis://app@redis1:6379/0 "
    "--password-stdin --use",
    "set": "zen config set p1 conversation_ttl_seconds 7200",
    "get": "zen config get p1 port",
    "list": "zen config list --json",
    "show": "zen config show p1",
    "current": "zen config current --short",
    "use": "zen config use p1  |  zen config use --local  |  zen config use p2 --here",
    "rename-project": "zen config rename-project p1 billing",
    "remove-project": "zen config remove-project old --force",
    "set-password": "zen config set-password p1 --password-stdin < secret.txt",
    "test-connection": "zen config test-connection --all --timeout 1",
    "doctor": "zen config doctor --json",
    "migrate": "zen config migrate --dry-run",
    "validate": "zen config validate ~/.zen-cli/config.json",
    "schema": "zen config schema > zen-config.schema.json",
    "path": "zen config path",
    "edit": "EDITOR=nano zen config edit",
}

COMMANDS: dict[str, Any] = {
    "init": files.init,
    "add-project": projects.add_project,
    "set": projects.set_,
    "get": projects.get,
    "list": views.list_,
    "show": views.show,
    "current": views.current,
    "use": views.use,
    "rename-project": projects.rename_project,
    "remove-project": projects.remove_project,
    "set-password": projects.set_password,
    "test-connection": health.test_connection,
    "doctor": health.doctor,
    "migrate": files.migrate,
    "validate": files.validate,
    "schema": files.schema,
    "path": files.path,
    "edit": files.edit,
}

for _name, _fn in COMMANDS.items():
    config_app.command(_name, epilog=f"Example: {EXAMPLES[_name]}")(_fn)
