"""What the HTTP transports (SSE and http-poll) share: one GET, and why it failed.

aiohttp does the HTTP; this module turns its answers into a response to read or an
``OpenFailed`` with a ``Failure`` a person can act on (status, DNS, TLS, timeout, refused).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from urllib.parse import urlsplit

import aiohttp

from feedwatch import __version__
from feedwatch.config.model import FeedConfig
from feedwatch.transports.connection import (
    Failure,
    OpenFailed,
    describe_certificate_error,
    describe_network_failure,
    describe_tls_cut,
    retry_after,
)


def new_session(feed: FeedConfig) -> aiohttp.ClientSession:
    """A client session with the feed's headers and connect timeout; reads never time out."""
    headers = {"User-Agent": f"feedwatch/{__version__}", **dict(feed.headers)}
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=feed.open_timeout)
    context = feed.tls.context  # None: aiohttp's default, the system trust store
    connector = aiohttp.TCPConnector(ssl=context) if context is not None else None
    return aiohttp.ClientSession(headers=headers, timeout=timeout, connector=connector)


async def get(
    session: aiohttp.ClientSession,
    feed: FeedConfig,
    headers: dict[str, str] | None = None,
    min_retry: float | None = None,
) -> aiohttp.ClientResponse:
    """GET the feed's URL; any answer but 200 and any network error raise ``OpenFailed``."""
    try:
        async with asyncio.timeout(feed.open_timeout):
            response = await session.get(feed.url, headers=headers)
    except Exception as exc:
        secure = urlsplit(feed.url).scheme.lower() == "https"
        raise OpenFailed(describe_http_failure(exc, secure=secure)) from exc
    if response.status != 200:
        response.release()
        wait = retry_after(response.headers.get("Retry-After"), time.time())
        if min_retry is not None:
            wait = max(wait or 0.0, min_retry)
        reason = f"HTTP {response.status} {response.reason or ''}".strip()
        raise OpenFailed(Failure("http_status", reason, response.status, wait))
    return response


def describe_http_failure(exc: BaseException, *, secure: bool = False) -> Failure:
    """Turn an aiohttp exception into a reason a person can act on.

    ``secure``: the URL is https://, so a connect the server cuts short is a TLS handshake
    it could not answer.
    """
    if isinstance(exc, aiohttp.InvalidURL):
        return Failure("uri", f"invalid URL: {exc}")
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        error = exc.certificate_error
        if isinstance(error, ssl.SSLCertVerificationError):
            return Failure("tls", describe_certificate_error(error))
        return Failure("tls", f"TLS certificate rejected: {error}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        # Connector errors come from connecting (TCP, then TLS), before any HTTP.
        inner = describe_tls_cut(exc.os_error) if secure else None
        inner = inner or describe_network_failure(exc.os_error)
        if inner is not None:
            return inner
        reason = exc.os_error.strerror or str(exc.os_error) or type(exc.os_error).__name__
        return Failure("network", f"network error: {reason}")
    network = describe_network_failure(exc)
    if network is not None:
        return network
    return Failure("network", f"{type(exc).__name__}: {exc}")
