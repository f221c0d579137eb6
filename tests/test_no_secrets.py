"""A password never reaches the config file, its backup, any output, or the argv
of a program the tool runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

SECRET_1 = "first-Secret-9f2c"
SECRET_2 = "second-Secret-77ab"


def test_secrets_stay_out_of_files_and_output(zen, config_file: Path, tmp_path: Path) -> None:
    argv_log = tmp_path / "argv.log"
    recorder = tmp_path / "record.py"
    recorder.write_text(
        "import sys\n"
        f"open({str(argv_log)!r}, 'a').write(repr(sys.argv) + '\\n')\n"
        "print('cmd-secret-5521')\n"
    )
    outputs = [
        zen("config", "init"),
        zen("config", "add-project", "p1", "--password-stdin", "--use", input=SECRET_1 + "\n"),
        zen(
            "config",
            "add-project",
            "p2",
            "--ask-password",
            "--port",
            "6380",
            input=f"{SECRET_2}\n{SECRET_2}\n",
        ),
        zen(
            "config",
            "add-project",
            "p3",
            "--port",
            "6381",
            "--password-command",
            f"{sys.executable} {recorder}",
        ),
        zen("config", "set-password", "p1", "--password-stdin", input=SECRET_2 + "\n"),
        zen("config", "list"),
        zen("config", "list", "--json"),
        zen("config", "current"),
        zen("config", "show"),
        zen("config", "show", "p2", "--json"),
        zen("config", "show", "p3"),
        zen("config", "get", "p1", "password"),
        zen("config", "rename-project", "p2", "p2b"),
        zen("config", "validate"),
        zen("config", "set", "p1", "port", "99999"),  # an error message too
    ]
    revealed = zen("config", "show", "p3", "--reveal", "--json")  # runs the command
    assert revealed.json()["password"]["value"] == "cmd-secret-5521"
    editor = tmp_path / "editor.py"
    editor.write_text(f"import sys\nopen({str(argv_log)!r}, 'a').write(repr(sys.argv) + '\\n')\n")
    outputs.append(
        zen("config", "edit", env={"EDITOR": f"{sys.executable} {editor}", "VISUAL": ""})
    )
    for run in outputs:
        for secret in (SECRET_1, SECRET_2, "cmd-secret-5521"):
            assert secret not in run.out + run.err, run
    written = [p for p in config_file.parent.iterdir() if p.is_file()]
    assert {p.name for p in written} >= {"config.json", "config.json.bak"}
    for path in written:
        text = path.read_text(errors="replace")
        for secret in (SECRET_1, SECRET_2, "cmd-secret-5521"):
            assert secret not in text, path
    calls = argv_log.read_text().splitlines()
    assert len(calls) == 2  # the password command and the editor each ran once
    for secret in (SECRET_1, SECRET_2, "cmd-secret-5521"):
        assert secret not in argv_log.read_text()
    assert json.loads(config_file.read_text())["storage"]["redis"]["default"] == "p1"
