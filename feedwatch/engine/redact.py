"""Secrets never leave feedwatch: URLs and text are redacted before display."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from feedwatch.config.model import FeedConfig

MASK = "***"

# Header values shorter than this are not masked in free text ("1", "json" would mangle it).
_HEADER_VALUE_MIN = 8

# Query parameters whose values are credentials on common feeds and APIs.
SENSITIVE_PARAMS = frozenset(
    {
        "token", "access_token", "auth", "authorization", "key", "apikey", "api_key",
        "secret", "api_secret", "password", "pass", "passphrase", "signature", "sig",
        "listenkey", "session", "sessionid", "jwt", "credential", "credentials",
    }
)  # fmt: skip


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every known secret value in ``text``."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
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


def redact_feed_text(text: str, feed: FeedConfig) -> str:
    """Free text about a feed (an error, a reason) with its URL, headers and secrets masked."""
    headers = (value for _, value in feed.headers if len(value) >= _HEADER_VALUE_MIN)
    return redact_text(text, (feed.url, *feed.secrets, *headers))
