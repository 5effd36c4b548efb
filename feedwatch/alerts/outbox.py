"""One alert channel's bounded queue, delivered in order by its own task.

A slow or failing receiver only ever delays its own channel; when the queue is full the
oldest alert is dropped (and reported), so memory stays bounded whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import Protocol

from feedwatch.alerts.alert import DROPPED, FAILED, Alert, Delivery
from feedwatch.config.model import AlertChannel
from feedwatch.engine.redact import redact_text

log = logging.getLogger(__name__)

OUTBOX_LIMIT = 100


class Sender(Protocol):
    async def send(self, alert: Alert) -> Delivery:
        """Deliver one alert (bounded by its own timeout); never raises for I/O trouble."""
        ...

    async def close(self) -> None: ...


Report = Callable[[AlertChannel, Alert, Delivery], None]


class Outbox:
    def __init__(
        self, channel: AlertChannel, sender: Sender, report: Report, limit: int = OUTBOX_LIMIT
    ) -> None:
        self.channel = channel
        self._sender = sender
        self._report = report
        self._limit = limit
        self._queue: deque[Alert] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None

    def put(self, alert: Alert) -> None:
        """Queue an alert without waiting; the oldest is dropped when the queue is full."""
        if len(self._queue) >= self._limit:
            dropped = self._queue.popleft()
            error = f"{self._limit} alerts already waiting for this channel"
            self._report(self.channel, dropped, Delivery(DROPPED, attempts=0, error=error))
        self._queue.append(alert)
        self._idle.clear()
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"alerts:{self.channel.name}")

    async def flush(self) -> None:
        """Wait until every queued alert has been delivered (or has failed)."""
        await self._idle.wait()

    async def stop(self, drain: float) -> None:
        """Give queued alerts up to ``drain`` seconds to go out, then stop."""
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.flush(), drain)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._sender.close()

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            alert = self._queue.popleft()
            try:
                delivery = await self._sender.send(alert)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a sender bug must not end the channel
                log.exception("alert channel %s failed", self.channel.name)
                error = redact_text(f"internal error: {exc!r}", self.channel.secrets)
                delivery = Delivery(FAILED, error=error)
            self._report(self.channel, alert, delivery)
