"""One feed's event journal: where its events are made, masked, kept and published.

Every event a feed raises passes through here once, so none can skip the redaction of
server and exception text that may quote a secret back, and the detail view's list, the
row's "last event" and the bus all see the same event.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from feedwatch.engine.clock import Clock
from feedwatch.engine.events import Event, EventKind
from feedwatch.engine.redact import FeedRedactor

# Where a feed's events go once made (the engine's bus).
Publish = Callable[[Event], None]
# Events each feed keeps for its detail view.
KEEP = 200


class EventJournal:
    """Makes a feed's events (masked), keeps the latest, and publishes each one."""

    def __init__(self, feed: str, clock: Clock, redact: FeedRedactor, publish: Publish) -> None:
        self.feed = feed
        self.redact = redact
        self._clock = clock
        self._publish = publish
        self.events: deque[Event] = deque(maxlen=KEEP)
        # The latest event that says what happened (a verdict's ``state`` event restates it).
        self.last: Event | None = None

    def make(
        self,
        kind: EventKind,
        channel: str | None,
        reason: str | None,
        age: float | None,
        fields: dict[str, Any],
    ) -> Event:
        """An event of this feed, now, with unset fields dropped and its text masked."""
        extra = {k: v for k, v in fields.items() if v is not None}
        redact = self.redact
        if redact.active:  # text from servers and exceptions may quote a secret back
            reason = None if reason is None else redact(reason)
            extra = {k: redact(v) if isinstance(v, str) else v for k, v in extra.items()}
        return Event(self._clock.time(), self.feed, kind, channel, reason, age, extra)

    def publish(self, event: Event) -> None:
        """Keep the event and hand it to every listener."""
        if event.kind is not EventKind.STATE:
            self.last = event
        self.events.append(event)
        self._publish(event)
