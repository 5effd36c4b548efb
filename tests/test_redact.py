"""What redaction masks: every form a configured secret can take in text."""

from __future__ import annotations

import base64
import io
import logging
import subprocess
import sys
from typing import TextIO, cast

from rich.console import Console
from rich.traceback import Traceback

from feedwatch.config.model import FeedConfig
from feedwatch.engine.redact import (
    FeedRedactor,
    RedactingFormatter,
    RedactingStream,
    feed_secrets,
    redact_feed_text,
    redact_text,
)

URL = "wss://trader:pa%24%24word-77@feeds.example.com/v1?token=tok-5f2a91c3&symbol=btc"
FEED = FeedConfig(
    name="f",
    url=URL,
    stale_after=1.0,
    headers=(("Authorization", "Bearer bearer-8c1d7e42f0"), ("Accept", "json")),
    secrets=("env-3b9e0d7a",),
    public_params=("symbol",),
)


def test_every_form_of_a_feeds_secrets_is_known() -> None:
    secrets = feed_secrets(FEED)
    basic = base64.b64encode(b"trader:pa$$word-77").decode()
    for value in (URL, "tok-5f2a91c3", "pa%24%24word-77", "pa$$word-77", basic):
        assert value in secrets
    assert "Bearer bearer-8c1d7e42f0" in secrets
    assert "bearer-8c1d7e42f0" in secrets  # the credential after the scheme, on its own
    assert "env-3b9e0d7a" in secrets
    assert "json" not in secrets  # short header values would mangle ordinary text


def test_the_url_becomes_its_safe_form_and_credentials_alone_are_masked() -> None:
    redact = FeedRedactor(FEED)
    text = f"cannot open {URL}: server said tok-5f2a91c3 and bearer-8c1d7e42f0 are bad"
    assert redact(text) == (
        "cannot open wss://***:***@feeds.example.com/v1?token=***&symbol=btc: "
        "server said *** and *** are bad"
    )


def test_a_secret_cut_short_is_masked_from_half_its_length() -> None:
    secret = "abcdef0123456789"
    assert redact_text(f"closed (bad key {secret[:10]})", [secret]) == "closed (bad key ***)"
    assert redact_text(f"key {secret[:8]}", [secret]) == "key ***"
    # Less than half is not recognisable as the secret, and plain words stay.
    assert redact_text(f"key {secret[:7]}", [secret]) == f"key {secret[:7]}"
    assert redact_text("applicable", ["application/json"]) == "applicable"


def test_a_feed_without_secrets_costs_nothing_and_changes_nothing() -> None:
    plain = FeedConfig(
        name="p",
        url="wss://feeds.example.com/v1?symbol=btc",
        stale_after=1.0,
        public_params=("symbol",),
    )
    redact = FeedRedactor(plain)
    assert not redact.active
    assert redact("closed by server: 1000") == "closed by server: 1000"


def test_health_text_never_shows_the_url_even_in_its_safe_form() -> None:
    text = redact_feed_text(f"invalid URL: {URL}", FEED)
    assert text == "invalid URL: ***"


def test_a_feed_configs_repr_shows_no_secret() -> None:
    text = repr(FEED)
    for secret in ("tok-5f2a91c3", "pa%24%24word-77", "bearer-8c1d7e42f0", "env-3b9e0d7a"):
        assert secret not in text
    assert "name='f'" in text


def test_log_lines_and_their_tracebacks_are_masked() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    formatter = RedactingFormatter("%(levelname)s %(message)s")
    formatter.secrets = feed_secrets(FEED)
    handler.setFormatter(formatter)
    log = logging.getLogger("test-redact")
    log.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"cannot open {URL}")
        except RuntimeError:
            log.exception("feed %s failed with %s", "f", "bearer-8c1d7e42f0")
    finally:
        log.removeHandler(handler)
    text = out.getvalue()
    assert "RuntimeError: cannot open ***" in text
    assert "failed with ***" in text
    assert "tok-5f2a91c3" not in text and "bearer-8c1d7e42f0" not in text


def test_an_uncaught_exception_prints_masked_in_any_thread() -> None:
    script = (
        "import threading\n"
        "from feedwatch.engine.redact import install_crash_redaction\n"
        "install_crash_redaction(('tok-5f2a91c3',))\n"
        "def crash():\n"
        "    raise ValueError('tok-5f2a91c3')\n"
        "t = threading.Thread(target=crash)\n"
        "t.start(); t.join()\n"
        "raise RuntimeError('server refused tok-5f2a91c3')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 1
    assert "RuntimeError: server refused ***" in done.stderr
    assert "ValueError: ***" in done.stderr
    assert "tok-5f2a91c3" not in done.stderr


def test_a_crash_shown_with_its_locals_is_masked() -> None:
    """What Textual prints when the dashboard crashes: a rich traceback with locals."""
    out = io.StringIO()
    console = Console(file=cast(TextIO, RedactingStream(out, feed_secrets(FEED))), width=200)
    feed, url = FEED, FEED.url  # locals the traceback shows
    try:
        raise RuntimeError(f"{feed.name}: {url}")
    except RuntimeError:
        console.print(Traceback(show_locals=True, width=200))
    text = out.getvalue()
    assert "RuntimeError: f: ***" in text
    assert "channel_key=None" in text  # the locals were shown, the feed config among them
    for secret in ("tok-5f2a91c3", "pa%24%24word-77", "bearer-8c1d7e42f0", "env-3b9e0d7a"):
        assert secret not in text
