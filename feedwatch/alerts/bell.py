"""The bell channel: a terminal bell and a visible message, wherever feedwatch runs."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from feedwatch.alerts.alert import SENT, Alert, Delivery

log = logging.getLogger("feedwatch.alerts")

Ring = Callable[[Alert], None]


def ring_terminal(alert: Alert) -> None:
    """Headless: BEL on stderr (the terminal beeps) and the message in the log."""
    try:
        sys.stderr.write("\a")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr closed: the log line below is all we can do
    log.log(logging.WARNING if alert.active else logging.INFO, "ALERT %s", alert.message)


class BellSender:
    """Hands the alert to whoever owns the terminal (the dashboard or headless mode)."""

    def __init__(self, ring: Ring) -> None:
        self._ring = ring

    async def send(self, alert: Alert) -> Delivery:
        self._ring(alert)
        return Delivery(SENT)

    async def close(self) -> None:
        return None
