"""zenconfig.redact: remembered secrets and server-echoed arguments scrubbed from any text."""

from __future__ import annotations

import traceback

from zenconfig import redact


def test_a_remembered_secret_is_masked_wherever_it_appears() -> None:
    assert redact.scrub("pw=s3cret-1 and again s3cret-1") == "pw=s3cret-1 and again s3cret-1"
    redact.remember("s3cret-1")
    assert redact.scrub("pw=s3cret-1 and again s3cret-1") == (
        f"pw={redact.MASK} and again {redact.MASK}"
    )
    redact.remember("ab")  # short ones too: better masked
    assert redact.scrub("a b ab") == f"a b {redact.MASK}"
    redact.forget()
    assert redact.scrub("s3cret-1 ab") == "s3cret-1 ab"


def test_nothing_and_empty_secrets_are_not_remembered() -> None:
    redact.remember(None)
    redact.remember("")
    assert redact.scrub("plain text") == "plain text"
    assert redact.scrub("") == ""


def test_the_longest_secret_is_masked_first() -> None:
    redact.remember("pass")
    redact.remember("password-long")
    assert redact.scrub("x password-long y pass") == f"x {redact.MASK} y {redact.MASK}"


def test_arguments_a_server_echoed_are_cut_whatever_they_hold() -> None:
    text = (
        "unknown command 'HELLO', with args beginning with: '3' 'AUTH' 'default' "
        "'never-remembered'\nsecond line"
    )
    assert redact.scrub(text) == "unknown command 'HELLO', with args beginning with: …"


def test_a_traceback_is_scrubbed_but_keeps_its_frames() -> None:
    redact.remember("tb-s3cret-42")

    def fails() -> None:
        raise RuntimeError("AUTH failed for tb-s3cret-42")

    try:
        fails()
    except RuntimeError:
        text = traceback.format_exc()
    scrubbed = redact.scrub(text)
    assert "tb-s3cret-42" not in scrubbed
    assert f"RuntimeError: AUTH failed for {redact.MASK}" in scrubbed
    assert "in fails" in scrubbed and scrubbed.startswith("Traceback (most recent call last):")
