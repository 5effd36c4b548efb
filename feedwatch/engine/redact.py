"""Secrets never leave feedwatch: URLs and text are redacted before display."""

from __future__ import annotations

import base64
import logging
import sys
import threading
import traceback
from collections.abc import Iterable
from types import TracebackType
from typing import Any, TextIO
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from feedwatch.config.exposure import SENSITIVE_PARAMS
from feedwatch.config.model import Config, FeedConfig

MASK = "***"

# Header values shorter than this are not masked in free text ("1", "json" would mangle it).
_HEADER_VALUE_MIN = 8
# Nor are URL credentials (a password, a token= value) shorter than this.
_URL_SECRET_MIN = 4
# A secret cut short is masked when at least this much (and half of it) is left.
_PREFIX_MIN = 6
# Authorization schemes whose credential is also masked on its own.
_AUTH_SCHEMES = ("bearer ", "basic ", "token ", "apikey ")


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every known secret value in ``text``, and what is left of one cut short.

    A server's close reason is limited to 123 bytes, and text is cut for display, so a
    secret may arrive truncated: its first half or more, wherever it appears, is masked too.
    """
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
        if len(secret) >= _PREFIX_MIN:
            text = _mask_prefixes(text, secret)
    return text


def _mask_prefixes(text: str, secret: str) -> str:
    least = max(_PREFIX_MIN, -(-len(secret) // 2))
    head = secret[:least]
    at = text.find(head)
    while at >= 0:
        end = at + least
        while end < len(text) and end - at < len(secret) and text[end] == secret[end - at]:
            end += 1
        text = text[:at] + MASK + text[end:]
        at = text.find(head, at + len(MASK))
    return text


def redact_url(url: str, secrets: Iterable[str] = ()) -> str:
    """A URL safe to show: no password, no credential query values, no known secrets."""
    secrets = tuple(secrets)
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url, secrets)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{MASK if ':' not in userinfo else user + ':' + MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        cleaned = [(k, MASK if k.lower() in SENSITIVE_PARAMS and v else v) for k, v in pairs]
        query = urlencode(cleaned, safe="/@*:,")
    result = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return redact_text(result, secrets)


def url_secrets(url: str) -> tuple[str, ...]:
    """The credentials inside a URL: its password and its credential query values."""
    try:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        password = parts.password
    except ValueError:
        return ()
    found = [v for k, v in pairs if k.lower() in SENSITIVE_PARAMS]
    if password:
        # Clients send userinfo as Basic auth: that encoding is the same secret.
        basic = f"{unquote(parts.username or '')}:{unquote(password)}".encode()
        found.extend((password, unquote(password), base64.b64encode(basic).decode()))
    return tuple(v for v in found if len(v) >= _URL_SECRET_MIN)


def header_secrets(headers: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """Header values long enough to mask, and the credential after an auth scheme."""
    found: list[str] = []
    for _, value in headers:
        if len(value) < _HEADER_VALUE_MIN:
            continue
        found.append(value)
        lowered = value.lower()
        for scheme in _AUTH_SCHEMES:
            if lowered.startswith(scheme) and len(value) - len(scheme) >= _HEADER_VALUE_MIN:
                found.append(value[len(scheme) :].strip())
    return tuple(found)


def feed_secrets(feed: FeedConfig) -> tuple[str, ...]:
    """Everything about a feed that must never be shown: masked wherever text leaves."""
    values = (feed.url, *url_secrets(feed.url), *header_secrets(feed.headers), *feed.secrets)
    return tuple(dict.fromkeys(v for v in values if v))


def config_secrets(config: Config) -> tuple[str, ...]:
    """Every secret a whole config holds: feeds, alert channels and the health token."""
    values: list[str] = []
    for feed in config.feeds:
        values.extend(feed_secrets(feed))
    for channel in config.alerts:
        if channel.url:
            values.extend((channel.url, *url_secrets(channel.url)))
        values.extend((*header_secrets(channel.headers), *channel.secrets))
    if config.server.token:
        values.append(config.server.token)
    return tuple(dict.fromkeys(v for v in values if v))


class FeedRedactor:
    """Masks one feed's secrets in free text; its URL becomes the URL safe to show."""

    __slots__ = ("_display", "_secrets", "_url", "active")

    def __init__(self, feed: FeedConfig) -> None:
        self._url = feed.url
        self._display = redact_url(feed.url, feed.secrets)
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
