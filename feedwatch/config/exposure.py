"""Whether a config file shows its secrets to other users, and the warning that says so.

A secret counts when the file itself holds it: a header value, a URL's password or credential
query parameter, a server token, a Slack or Discord webhook URL. A ``${VAR}`` reference does
not count: the secret is then in the environment, which is the practice to encourage.
"""

from __future__ import annotations

import json
import re
import shlex
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from feedwatch.config.secret_values import PUBLIC_HEADERS

# Query parameters whose values are credentials on common feeds and APIs.
SENSITIVE_PARAMS = frozenset(
    {
        "token", "access_token", "auth", "authorization", "key", "apikey", "api_key",
        "secret", "api_secret", "password", "pass", "passphrase", "signature", "sig",
        "listenkey", "session", "sessionid", "jwt", "credential", "credentials",
    }
)  # fmt: skip


# Group- or other-read: anyone but the owner (and root) can read the file.
READABLE_BY_OTHERS = stat.S_IRGRP | stat.S_IROTH
# A query parameter whose name holds one of these is a credential, however it is spelled:
# apiToken, client_secret, X-Amz-Signature, listenKey.
_SECRET_NAME = re.compile(r"token|secret|key|sig|auth|pass|session|credential|jwt", re.IGNORECASE)
# A value that looks generated rather than chosen: long, and letters mixed with digits.
_TOKEN_LIKE = re.compile(r"(?=[^&]*\d)(?=[^&]*[A-Za-z])[A-Za-z0-9_\-+/=.~%]{20,}")
# Webhook formats whose URL is itself the credential (the token is in its path).
_TOKEN_URL_FORMATS = frozenset({"slack", "discord"})
# ${NAME}, or ${NAME:-} with an empty fallback: the value comes from the environment.
_FROM_ENVIRONMENT = re.compile(r"(?<!\$)\$\{[A-Za-z_][A-Za-z0-9_]*(:-)?\}")
# How many secrets a warning names before it says "and N more".
_NAMED = 2


def exposure_warning(path: Path, mode: int, raw: dict[str, Any]) -> str | None:
    """A warning when a file others can read holds a secret; None when it is private or clean."""
    if not mode & READABLE_BY_OTHERS:
        return None
    found = list(written_secrets(raw))
    if not found:
        return None
    named = ", ".join(found[:_NAMED])
    if len(found) > _NAMED:
        named += f" and {len(found) - _NAMED} more"
    shown = shlex.quote(str(path))
    return (
        f"{path} contains secrets ({named}) and is readable by other users "
        f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {shown}"
    )


def written_secrets(raw: dict[str, Any]) -> Iterator[str]:
    """Where the file holds a secret itself, named the way the user would look for it."""
    for feed in _tables(raw.get("feeds")):
        label = f"feed {json.dumps(feed.get('name', '?'), ensure_ascii=False)}"
        public = feed.get("public_params")
        shown = [p for p in public if isinstance(p, str)] if isinstance(public, list) else []
        yield from _in_url(label, feed.get("url"), shown)
        yield from _in_dsn(label, feed.get("dsn"))
        yield from _in_headers(label, feed.get("headers"))
    server = raw.get("server")
    if isinstance(server, dict) and _written(server.get("token")):
        yield "[server] token"
    for index, alert in enumerate(_tables(raw.get("alerts"))):
        label = f"alerts[{index}]"
        url = alert.get("url")
        if alert.get("format") in _TOKEN_URL_FORMATS and _written(url):
            yield f"{label} url"
        else:
            yield from _in_url(label, url)
        yield from _in_headers(label, alert.get("headers"))


def _in_dsn(label: str, dsn: Any) -> Iterator[str]:
    """A sql feed's dsn: only a password counts (a database user name is no credential)."""
    if not isinstance(dsn, str):
        return
    try:
        userinfo, at, _ = urlsplit(dsn).netloc.rpartition("@")
    except ValueError:
        return
    password = userinfo.partition(":")[2]
    if at and password and _written(password):
        yield f"{label} dsn password"


def _in_url(label: str, url: Any, public: list[str] | None = None) -> Iterator[str]:
    if not isinstance(url, str):
        return
    try:
        parts = urlsplit(url)
    except ValueError:
        return
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at and _written(userinfo.partition(":")[2] or userinfo):
        yield f"{label} url password" if ":" in userinfo else f"{label} url user"
    shown = {name.lower() for name in public or ()}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in shown or not _written(value):
            continue
        if (
            name.lower() in SENSITIVE_PARAMS
            or _SECRET_NAME.search(name)
            or _TOKEN_LIKE.fullmatch(value)
        ):
            yield f"{label} url parameter {name}"


def _in_headers(label: str, headers: Any) -> Iterator[str]:
    if not isinstance(headers, dict):
        return
    for name, value in headers.items():
        if str(name).lower() not in PUBLIC_HEADERS and _written(value):
            yield f"{label} header {name}"


def _written(value: Any) -> bool:
    """A value spelled out in the file, rather than taken from the environment."""
    return isinstance(value, str) and bool(value.strip()) and not _FROM_ENVIRONMENT.search(value)


def _tables(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))
