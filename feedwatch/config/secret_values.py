"""Which values in a config are secrets, found by value, and how text is masked of them.

A secret is recognised by where it is written, not by its name: every value in a URL's query
and userinfo, every header value but the few that only describe a request, and every value a
``${VAR}`` brought in. A query parameter the user lists in ``public_params`` is shown as is.
Each secret is masked in the forms a server or a log may echo it in: raw, %-encoded and
%-decoded. This lives in the config layer so that config errors are masked too.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlsplit, urlunsplit

MASK = "***"

# Values shorter than this are not masked in free text ("1", "json" would mangle it); in a URL
# shown on its own every non-public query value is masked whatever its length.
SECRET_MIN = 4
# A secret cut short is masked when at least this much (and half of it) is left.
_PREFIX_MIN = 6
# Authorization schemes whose credential is also masked on its own.
_AUTH_SCHEMES = ("bearer ", "basic ", "token ", "apikey ")
# Headers that describe a request rather than authorise it: their values are not secrets.
PUBLIC_HEADERS = frozenset(
    {
        "accept", "accept-encoding", "accept-language", "cache-control", "content-type",
        "origin", "pragma", "referer", "sec-websocket-extensions", "sec-websocket-protocol",
        "user-agent",
    }
)  # fmt: skip
# A URL written in free text (a config error, a TOML line): scheme, then up to a quote or space.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")


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


def secret_forms(values: Iterable[str]) -> tuple[str, ...]:
    """Each secret as written, %-encoded and %-decoded: a server may echo any of them."""
    found: list[str] = []
    for value in values:
        if len(value) < SECRET_MIN:
            continue
        found.append(value)
        for form in (quote(value, safe=""), quote_plus(value), unquote(value), unquote_plus(value)):
            if form != value and len(form) >= SECRET_MIN:
                found.append(form)
    return tuple(dict.fromkeys(found))


def _public(names: Iterable[str]) -> frozenset[str]:
    return frozenset(name.lower() for name in names)


def _query_pairs(query: str) -> list[tuple[str, str, bool]]:
    """The query's pairs as written (name decoded, value raw), and whether each had an '='."""
    pairs = []
    for item in query.split("&") if query else ():
        name, equals, value = item.partition("=")
        pairs.append((unquote_plus(name), value, bool(equals)))
    return pairs


def url_secrets(url: str, public: Iterable[str] = ()) -> tuple[str, ...]:
    """The credentials inside a URL: its userinfo and every query value not marked public."""
    try:
        parts = urlsplit(url)
        username, password = parts.username, parts.password
    except ValueError:
        return ()
    shown = _public(public)
    found = [value for name, value, _ in _query_pairs(parts.query) if name.lower() not in shown]
    if username:
        found.append(username)
    if password:
        found.append(password)
        # Clients send userinfo as Basic auth: that encoding is the same secret.
        basic = f"{unquote(username or '')}:{unquote(password)}".encode()
        found.append(base64.b64encode(basic).decode())
    return secret_forms(v for v in found if v)


def header_secrets(headers: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """Every header value that may authorise, and the credential after an auth scheme."""
    found: list[str] = []
    for name, value in headers:
        if name.lower() in PUBLIC_HEADERS:
            continue
        found.append(value)
        lowered = value.lower()
        for scheme in _AUTH_SCHEMES:
            if lowered.startswith(scheme):
                found.append(value[len(scheme) :].strip())
    return secret_forms(found)


def redact_url(url: str, secrets: Iterable[str] = (), public: Iterable[str] = ()) -> str:
    """A URL safe to show: no userinfo, no query value not marked public, no known secret."""
    secrets = tuple(secrets)
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url, secrets)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{MASK + ':' + MASK if ':' in userinfo else MASK}@{host}"
    query = parts.query
    if query:
        shown = _public(public)
        items = []
        for (name, value, equals), written in zip(
            _query_pairs(query), query.split("&"), strict=True
        ):
            if not equals or not value or name.lower() in shown:
                items.append(written)
            else:
                items.append(written.partition("=")[0] + "=" + MASK)
        query = "&".join(items)
    result = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    lost = not result[len(parts.scheme) :].startswith("://")
    if not netloc and lost and url[len(parts.scheme) :].startswith("://"):
        # urlunsplit drops an empty authority: keep sqlite:///path as written.
        result = f"{parts.scheme}://{result[len(parts.scheme) + 1 :]}"
    return redact_text(result, secrets)


def mask_urls(text: str, secrets: Iterable[str] = ()) -> str:
    """Free text with every URL in it shown safely (for text that may quote a config line)."""
    secrets = tuple(secrets)
    return redact_text(_URL_IN_TEXT.sub(lambda m: redact_url(m[0]), text), secrets)


def mask_urls_keeping(text: str, column: int) -> tuple[str, int]:
    """A line with its URLs shown safely, and where ``column`` (1-based) now falls in it."""
    parts: list[str] = []
    shift, last = 0, 0
    for match in _URL_IN_TEXT.finditer(text):
        safe = redact_url(match[0])
        parts += [text[last : match.start()], safe]
        if match.end() < column:
            shift += len(safe) - len(match[0])
        last = match.end()
    parts.append(text[last:])
    return "".join(parts), max(1, column + shift)
