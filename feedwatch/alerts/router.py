"""The alert router: engine events in, at most one alert per feed and change out.

It tracks each condition (stale, storm, down, silence, lagging, frozen) per feed and
channel, waits out a feed's ``grace`` before a stale alert, reminds every ``repeat``
while a condition lasts, lets a storm speak for a flapping feed, and hands each alert
to the outbox of every alert channel whose ``on`` and ``feeds`` match. All timers run
on the engine's clock; delivery happens in the outboxes' tasks, never in the engine's call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from feedwatch.alerts.alert import SUPPRESSED, Alert, Delivery
from feedwatch.alerts.bell import BellSender, Ring, ring_terminal
from feedwatch.alerts.command import CommandSender
from feedwatch.alerts.messages import end_message, reminder_message, start_message, where
from feedwatch.alerts.outbox import OUTBOX_LIMIT, Outbox, Sender
from feedwatch.alerts.webhook import WebhookSender
from feedwatch.config.model import AlertChannel
from feedwatch.engine.clock import Timer
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind
from feedwatch.engine.redact import config_secrets, redact_text

RECOVERED = "recovered"
STORM = "storm"
# A storm summarises these: a flapping feed's per-outage alerts would be a flood.
SUMMARISED_BY_STORM = frozenset({"stale", "down"})
# Pausing a feed, or its quiet hours, stop the watch: these end without an event or a word.
ENDED_BY_PAUSE = frozenset({"stale", "down", "silence", "lagging", "frozen"})
DRAIN_SECONDS = 2.0

Key = tuple[str, str | None, str]  # feed, channel, condition


@dataclass(eq=False)
class ActiveCondition:
    """One condition (stale, down, storm...) of a feed or channel that began and has not
    ended: whom the router told, its grace timer and its reminders."""

    feed: str
    channel: str | None
    name: str
    since: float  # monotonic
    reason: str | None = None
    stale_after: float | None = None
    notified: set[str] = field(default_factory=set)  # alert channels told it began
    grace: Timer | None = None
    reminders: dict[str, Timer] = field(default_factory=dict)

    @property
    def key(self) -> Key:
        return (self.feed, self.channel, self.name)

    def cancel(self) -> None:
        for timer in (self.grace, *self.reminders.values()):
            if timer is not None:
                timer.cancel()
        self.grace = None
        self.reminders.clear()


class AlertRouter:
    """Attach to an engine before it starts; ``start`` and ``stop`` alongside it."""

    def __init__(
        self,
        engine: Engine,
        *,
        bell: Ring | None = None,
        outbox_limit: int = OUTBOX_LIMIT,
        drain: float = DRAIN_SECONDS,
    ) -> None:
        self._engine = engine
        self._clock = engine.clock
        self._drain = drain
        self._grace = {feed.name: feed.grace for feed in engine.config.feeds}
        self._channels = {ch.name: ch for ch in engine.config.alerts}
        self._secrets = config_secrets(engine.config)
        self._outboxes = {
            ch.name: Outbox(ch, self._sender(ch, bell or ring_terminal), self._report, outbox_limit)
            for ch in engine.config.alerts
        }
        self._active: dict[Key, ActiveCondition] = {}
        self._unsubscribe: Callable[[], None] | None = None
        for ch in engine.config.alerts:  # every channel's series exists from the start
            for outcome in ("sent", "failed"):
                engine.alert_outcomes[(ch.name, outcome)] += 0

    def _sender(self, channel: AlertChannel, ring: Ring) -> Sender:
        if channel.type == "bell":
            return BellSender(ring)
        if channel.type == "command":
            # Its environment is feedwatch's, less any variable holding another's secret.
            withhold = tuple(s for s in self._secrets if s not in channel.secrets)
            return CommandSender(channel, withhold)
        return WebhookSender(channel, self._clock.sleep)

    # -- lifecycle ------------------------------------------------------------

    async def start(self) -> None:
        """Listen to the engine's events and start every channel's outbox (idempotent)."""
        for outbox in self._outboxes.values():
            outbox.start()
        if self._unsubscribe is None:
            self._unsubscribe = self._engine.bus.subscribe(self._on_event)

    async def stop(self) -> None:
        """Stop listening, give queued alerts a moment to go out, close every channel."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._unsubscribe = None
        for condition in self._active.values():
            condition.cancel()
        self._active.clear()
        await asyncio.gather(*(o.stop(self._drain) for o in self._outboxes.values()))

    async def flush(self) -> None:
        """Wait until every queued alert has been delivered or has failed."""
        await asyncio.gather(*(o.flush() for o in self._outboxes.values()))

    # -- from engine events to conditions ------------------------------------

    def _on_event(self, event: Event) -> None:
        kind = event.kind
        if kind is EventKind.STALE:
            self._begin(str(kind), event)
        elif kind is EventKind.RECOVERED:
            self._end("stale", event.feed, event.channel)
        elif kind in (
            EventKind.STORM, EventKind.DOWN, EventKind.SILENCE, EventKind.LAGGING, EventKind.FROZEN
        ):  # fmt: skip
            if event.fields.get("active") is False:
                self._end(str(kind), event.feed, event.channel)
            else:
                self._begin(str(kind), event)
        elif (kind is EventKind.DISCONNECTED and event.fields.get("paused")) or (
            kind is EventKind.SCHEDULE and event.fields.get("quiet")
        ):
            self._forget(event.feed)

    def _begin(self, name: str, event: Event) -> None:
        key = (event.feed, event.channel, name)
        if key in self._active:
            return  # one alert per change: a repeated "begin" is not a new change
        condition = ActiveCondition(
            event.feed,
            event.channel,
            name,
            self._clock.monotonic(),
            reason=event.reason,
            stale_after=event.fields.get("stale_after_seconds"),
        )
        self._active[key] = condition
        grace = self._grace.get(event.feed, 0.0) if name == "stale" else 0.0
        if grace > 0:
            condition.grace = self._clock.call_at(
                condition.since + grace, lambda: self._raise(condition)
            )
        else:
            self._raise(condition)

    def _end(self, name: str, feed: str, channel: str | None) -> None:
        condition = self._active.pop((feed, channel, name), None)
        if condition is None:
            return
        condition.cancel()
        # Only channels told it began hear that it ended (nothing said inside grace).
        told = [
            self._channels[n] for n in sorted(condition.notified)
            if RECOVERED in self._channels[n].on
        ]  # fmt: skip
        if told:
            if self._summarised(condition):
                self._suppressed(told)
            else:
                alert = self._alert(condition, active=False)
                for channel_config in told:
                    self._outboxes[channel_config.name].put(alert)
        if name == STORM:
            # The storm no longer speaks for this feed: say what is still wrong.
            for other in list(self._active.values()):
                if other.feed == feed and other.grace is None and not other.notified:
                    self._raise(other)

    def _forget(self, feed: str) -> None:
        for key in [k for k in self._active if k[0] == feed and k[2] in ENDED_BY_PAUSE]:
            self._active.pop(key).cancel()

    # -- alerts -----------------------------------------------------------------

    def _raise(self, condition: ActiveCondition) -> None:
        """The condition counts now (grace is over): tell every matching channel."""
        if self._active.get(condition.key) is not condition:
            return
        condition.grace = None
        targets = self._targets(condition.feed, condition.name)
        if not targets:
            return
        if self._summarised(condition):
            self._suppressed(targets)
            return
        alert = self._alert(condition, active=True)
        for channel in targets:
            self._outboxes[channel.name].put(alert)
            condition.notified.add(channel.name)
            self._arm_reminder(condition, channel)

    def _arm_reminder(self, condition: ActiveCondition, channel: AlertChannel) -> None:
        if channel.repeat:
            condition.reminders[channel.name] = self._clock.call_at(
                self._clock.monotonic() + channel.repeat,
                lambda: self._remind(condition, channel),
            )

    def _remind(self, condition: ActiveCondition, channel: AlertChannel) -> None:
        if self._active.get(condition.key) is not condition:
            return
        self._arm_reminder(condition, channel)
        if self._summarised(condition):
            self._suppressed([channel])
            return
        self._outboxes[channel.name].put(self._alert(condition, active=True, reminder=True))

    def _targets(self, feed: str, condition: str) -> list[AlertChannel]:
        return [
            ch
            for ch in self._channels.values()
            if condition in ch.on and any(fnmatchcase(feed, p) for p in ch.feeds)
        ]

    def _summarised(self, condition: ActiveCondition) -> bool:
        return (
            condition.name in SUMMARISED_BY_STORM and (condition.feed, None, STORM) in self._active
        )

    def _suppressed(self, channels: list[AlertChannel]) -> None:
        for channel in channels:
            self._engine.alert_outcomes[(channel.name, SUPPRESSED)] += 1

    def _alert(self, condition: ActiveCondition, *, active: bool, reminder: bool = False) -> Alert:
        lasted = self._clock.monotonic() - condition.since
        state, age = self._look(condition.feed, condition.channel)
        place = where(condition.feed, condition.channel)
        if not active:
            message = end_message(condition.name, place, lasted)
        elif reminder:
            message = reminder_message(condition.name, place, lasted)
        else:
            message = start_message(
                condition.name, place, condition.reason, age, condition.stale_after
            )
        return Alert(
            feed=condition.feed,
            channel=condition.channel,
            condition=condition.name if active else RECOVERED,
            state=state,
            message=redact_text(message, self._secrets),
            ts=self._clock.time(),
            last_signal_age_seconds=age,
            active=active,
            reminder=reminder,
            recovered_from=None if active else condition.name,
            duration_seconds=round(lasted, 3),
        )

    def _look(self, feed: str, channel: str | None) -> tuple[str, float | None]:
        """The feed's (or channel's) state and data age right now."""
        try:
            snap = self._engine.feed_snapshot(feed)
        except KeyError:
            return "unknown", None
        if channel is None:
            return str(snap.state), round(snap.signal_age, 3)
        for ch in snap.channels:
            if ch.key == channel:
                return str(ch.state), round(ch.signal_age, 3)
        return "unknown", None

    # -- outcomes ---------------------------------------------------------------

    def _report(self, channel: AlertChannel, alert: Alert, delivery: Delivery) -> None:
        """Every attempt is counted and becomes an `alert` event on the engine's bus."""
        self._engine.alert_outcomes[(channel.name, delivery.outcome)] += 1
        fields: dict[str, object] = {
            "alert_channel": channel.name,
            "alert_type": channel.type,
            "condition": alert.condition,
            "outcome": delivery.outcome,
            "attempts": delivery.attempts,
        }
        if alert.recovered_from is not None:
            fields["recovered_from"] = alert.recovered_from
        if alert.reminder:
            fields["reminder"] = True
        for name in ("status", "exit_code", "error"):
            value = getattr(delivery, name)
            if value is not None:
                fields[name] = value
        what = alert.condition + (f" ({alert.recovered_from})" if alert.recovered_from else "")
        reason = f"{what} via {channel.name}: {delivery.outcome}"
        if delivery.error:
            reason += f" ({delivery.error})"
        self._engine.bus.emit(
            Event(
                self._clock.time(), alert.feed, EventKind.ALERT, alert.channel, reason, None, fields
            )
        )
