"""zenconfig.migrations.envfile: the scrubbed .env, every REDIS_PASSWORD replaced, verified."""

from __future__ import annotations

import io

import pytest
from dotenv import dotenv_values

from zenconfig.errors import ConfigError, ExitCode
from zenconfig.migrations import envfile
from zenconfig.migrations.scrub import DROPPED, MASK

NOTE = "moved to the keyring (zen-cli/zen@0123456789ab) by zen config migrate"


def _values(text: str) -> dict[str, str | None]:
    return dict(dotenv_values(stream=io.StringIO(text), interpolate=False))


@pytest.mark.parametrize(
    "text",
    ["REDIS_HOST=h\n", "REDIS_HOST=h\nREDIS_PASSWORD=\n", "# REDIS_PASSWORD=x\nREDIS_PORT=1"],
)
def test_no_password_changes_nothing(text: str) -> None:
    scrubbed = envfile.scrub(text, None, NOTE, mask=False)
    assert (scrubbed.text, scrubbed.rewritten) == (text, False)


def test_the_binding_becomes_a_note_and_the_rest_stays_byte_for_byte() -> None:
    text = "# zen\nexport REDIS_PASSWORD=env-s3cret   # inline\nREDIS_HOST='h'\r\nX=1"
    backup = envfile.scrub(text, "env-s3cret", NOTE, mask=False)
    assert not backup.rewritten
    assert backup.text == f"# zen\n# REDIS_PASSWORD {NOTE}\nREDIS_HOST='h'\r\nX=1"
    view = envfile.scrub(text, "env-s3cret", NOTE, mask=True)
    assert view.text == f"# zen\nREDIS_PASSWORD={MASK}\nREDIS_HOST='h'\r\nX=1"
    assert _values(view.text) == {"REDIS_PASSWORD": MASK, "REDIS_HOST": "h", "X": "1"}


def test_of_duplicates_the_last_gets_the_note_the_others_are_dropped() -> None:
    text = 'REDIS_PASSWORD="first\nline-s3cret"\nREDIS_HOST=h\nREDIS_PASSWORD=last-s3cret\n'
    backup = envfile.scrub(text, "last-s3cret", NOTE, mask=False)
    assert backup.text == f"# REDIS_PASSWORD {DROPPED}\nREDIS_HOST=h\n# REDIS_PASSWORD {NOTE}\n"
    view = envfile.scrub(text, "last-s3cret", NOTE, mask=True)
    assert view.text == f"REDIS_PASSWORD={MASK}\nREDIS_HOST=h\nREDIS_PASSWORD={MASK}\n"


def test_a_password_also_in_a_comment_is_rewritten_from_the_values() -> None:
    text = '# was env-s3cret\nREDIS_PASSWORD=env-s3cret\nREDIS_HOST="h  x"\nFLAG\n'
    backup = envfile.scrub(text, "env-s3cret", NOTE, mask=False)
    assert backup.rewritten
    assert backup.text == f'# REDIS_PASSWORD {NOTE}\nREDIS_HOST="h  x"\nFLAG\n'
    assert _values(backup.text) == {"REDIS_HOST": "h  x", "FLAG": None}
    view = envfile.scrub(text, "env-s3cret", NOTE, mask=True)
    assert view.rewritten and "env-s3cret" not in view.text
    assert view.text.startswith(f"REDIS_PASSWORD={MASK}\n")


def test_values_rewritten_are_quoted_so_they_read_back_the_same() -> None:
    text = "# env-s3cret\nREDIS_PASSWORD=env-s3cret\nODD='a\"b\\\\c\ttab'\n"
    backup = envfile.scrub(text, "env-s3cret", NOTE, mask=False)
    assert backup.rewritten
    assert _values(backup.text) == {"ODD": _values(text)["ODD"]}


def test_the_password_inside_another_variable_is_refused() -> None:
    text = "REDIS_PASSWORD=dup-s3cret\nREDIS_URL=redis://:dup-s3cret@h:6379\n"
    with pytest.raises(ConfigError) as info:
        envfile.scrub(text, "dup-s3cret", NOTE, mask=True)
    assert info.value.message == (
        "the password in REDIS_PASSWORD also appears in REDIS_URL; nothing was changed"
    )
    assert info.value.exit_code == ExitCode.INVALID_CONFIG
    assert info.value.hint == "remove it from REDIS_URL (or change it), then run zen config migrate"


def test_a_short_password_equal_to_another_value_is_refused() -> None:
    with pytest.raises(ConfigError, match="also appears in OTHER"):
        envfile.scrub("OTHER=abc12\nREDIS_PASSWORD=abc12\n", "abc12", NOTE, mask=False)
