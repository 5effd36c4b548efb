"""Secrets never leave feedwatch: URLs and text are redacted before display."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Iterable
from types import TracebackType
from typing import Any, TextIO

from feedwatch.config.model import Config, FeedConfig
from feedwatch.config.secret_values import (
    MASK,
    header_secrets,
    redact_text,
    redact_url,
    secret_forms,
    url_secrets,
)
from feedwatch.engine.printable import printable

__all__ = [
    "MASK",
    "FeedRedactor",
    "RedactingFormatter",
    "RedactingStream",
    "config_secrets",
    "feed_secrets",
    "header_secrets",
    "install_crash_redaction",
    "redact_feed_text",
    "redact_text",
    "redact_url",
    "url_secrets",
]


def feed_secrets(feed: FeedConfig) -> tuple[str, ...]:
    """Everything about a feed that must never be shown: masked wherever text leaves."""
    values = (
        feed.url,
        *url_secrets(feed.url, feed.public_params),
        *header_secrets(feed.headers),
        *secret_forms(feed.secrets),
    )
    return tuple(dict.fromkeys(v for v in values if v))


def config_secrets(config: Config) -> tuple[str, ...]:
    """Every secret a whole config holds: feeds, alert channels and the health token."""
    values: list[str] = []
    for feed in config.feeds:
        values.extend(feed_secrets(feed))
    for channel in config.alerts:
        if channel.url:
            values.extend((channel.url, *url_secrets(channel.url)))
        values.extend((*header_secrets(channel.headers), *secret_forms(channel.secrets)))
    if config.server.token:
        values.extend(secret_forms((config.server.token,)))
    return tuple(dict.fromkeys(v for v in values if v))


class FeedRedactor:
    """Masks one feed's secrets in free text; its URL becomes the URL safe to show."""

    __slots__ = ("_display", "_secrets", "_url", "active")

    def __init__(self, feed: FeedConfig) -> None:
        self._url = feed.url
        self._display = redact_url(feed.url, secret_forms(feed.secrets), feed.public_params)
        self._secrets = tuple(s for s in feed_secrets(feed) if s != feed.url)
        self.active = bool(self._secrets) or self._display != feed.url

    def __call__(self, text: str) -> str:
        if not self.active:
            return text
        return redact_text(text.replace(self._url, self._display), self._secrets)

    @property
    def display_url(self) -> str:
        return self._display


def redact_feed_text(text: str, feed: FeedConfig) -> str:
    """Free text about a feed with its secrets and its URL, even the safe form, masked:
    for outputs that promise never to reveal a feed's address (/health)."""
    redactor = FeedRedactor(feed)
    return redact_text(redactor(text), (redactor.display_url, feed.url))


class RedactingFormatter(logging.Formatter):
    """A log formatter that masks every configured secret, in tracebacks too."""

    secrets: tuple[str, ...] = ()

    def formatMessage(self, record: logging.LogRecord) -> str:
        # The message stays one line, whatever a server put in it (tracebacks keep theirs).
        record.message = printable(record.message)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record), self.secrets)


class RedactingStream:
    """A text stream that masks secrets in what passes through (crash output, tracebacks)."""

    def __init__(self, stream: TextIO, secrets: Iterable[str]) -> None:
        self._stream = stream
        self._secrets = tuple(secrets)

    def write(self, text: str) -> int:
        self._stream.write(redact_text(text, self._secrets))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding...
        return getattr(self._stream, name)


def install_crash_redaction(secrets: tuple[str, ...]) -> None:
    """Uncaught exceptions, in any thread, print with every secret masked."""

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, exc, tb))
        sys.stderr.write(redact_text(text, secrets))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            name = args.thread.name if args.thread is not None else "?"
            sys.stderr.write(f"Exception in thread {name}:\n")
            excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, RedactingFormatter):
            handler.formatter.secrets = secrets
