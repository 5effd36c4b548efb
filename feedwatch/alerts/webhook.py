"""The webhook channel: POST the alert, with a timeout per attempt and bounded retries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import aiohttp

from feedwatch.alerts.alert import FAILED, SENT, TIMEOUT, Alert, Delivery
from feedwatch.alerts.payloads import USER_AGENT, webhook_request
from feedwatch.config.model import AlertChannel
from feedwatch.engine.redact import redact_text

BACKOFF_FIRST = 0.5  # seconds before the first retry; doubles each time
BACKOFF_MAX = 8.0


def retryable(status: int) -> bool:
    """Server trouble and rate limits may pass; other client errors will not."""
    return status >= 500 or status in (408, 429)


class WebhookSender:
    """One aiohttp session per channel; secrets never reach an error message."""

    def __init__(
        self,
        channel: AlertChannel,
        sleep: Callable[[float], Awaitable[None]],
        backoff: float = BACKOFF_FIRST,
    ) -> None:
        if channel.url is None:
            raise ValueError(f"alert channel {channel.name!r} has no url")
        self._channel = channel
        self._url = channel.url
        self._sleep = sleep
        self._backoff = backoff
        self._session: aiohttp.ClientSession | None = None

    async def send(self, alert: Alert) -> Delivery:
        channel = self._channel
        body, headers = webhook_request(alert, channel.name, channel.format)
        headers = {"User-Agent": USER_AGENT, **headers, **dict(channel.headers)}
        if self._session is None:
            self._session = aiohttp.ClientSession()
        timeout = aiohttp.ClientTimeout(total=channel.timeout)
        result = Delivery(FAILED, attempts=0)
        for attempt in range(1, channel.retries + 2):
            if attempt > 1:
                await self._sleep(min(self._backoff * 2 ** (attempt - 2), BACKOFF_MAX))
            try:
                async with self._session.post(
                    self._url, data=body, headers=headers, timeout=timeout, allow_redirects=False
                ) as response:
                    status = response.status
                    if 200 <= status < 300:
                        return Delivery(SENT, attempts=attempt, status=status)
                    reason = f"HTTP {status} {response.reason or ''}".strip()
                    result = Delivery(FAILED, attempts=attempt, status=status, error=reason)
                    if not retryable(status):
                        return result
            except TimeoutError:
                error = f"no answer within {channel.timeout:g}s"
                result = Delivery(TIMEOUT, attempts=attempt, error=error)
            except aiohttp.ClientError as exc:
                result = Delivery(FAILED, attempts=attempt, error=self._describe(exc))
        return result

    def _describe(self, exc: BaseException) -> str:
        # A webhook URL is often itself the secret (Slack, Discord): show its host only.
        parts = urlsplit(self._url)
        host = parts.netloc.rsplit("@", 1)[-1]
        text = f"{type(exc).__name__}: {exc}".replace(self._url, f"{parts.scheme}://{host}/...")
        return redact_text(text, self._channel.secrets)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
