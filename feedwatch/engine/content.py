"""Content signals: what the data says about itself while messages keep flowing.

Three optional checks read fields of each data message (the JSON the classifier
already parsed, never parsed again): how old the exchange's own timestamp is
(lag), whether a sequence number skipped (gaps), and whether a value stopped
changing (frozen). Each costs a path lookup and a few attribute writes per
message; a feed that sets none of them never reaches this module.

Lag uses hysteresis so one late message does not flap the state: the feed is
lagging after ``LAG_ENTER`` consecutive messages over ``max_lag`` and stops
after ``LAG_EXIT`` consecutive messages back under it. Frozen uses a lazy
deadline at the last change + ``frozen_after``, the same pattern as staleness.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from feedwatch.config.model import FeedConfig
from feedwatch.engine.classify import MISSING, json_path, split_path
from feedwatch.engine.clock import Clock, Deadline
from feedwatch.engine.conditions import RaiseEvent
from feedwatch.engine.events import EventKind
from feedwatch.engine.stats import percentile

# Consecutive messages over max_lag that start lagging, and back under it that end it.
LAG_ENTER = 3
LAG_EXIT = 5
# Recent lags kept for p50 / max.
LAG_RING = 256

_UNIT_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def event_seconds(value: Any, unit: str) -> float | None:
    """A message's own timestamp as unix seconds; None when it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    if unit == "iso8601":
        if not isinstance(value, str):
            return None
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)  # exchanges mean UTC when they say nothing
        return when.timestamp()
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    return value * _UNIT_SECONDS[unit]


class LagSummary:
    """p50 and max of the recent lags, computed when sampled, never per message."""

    __slots__ = ("_at", "_cached", "lags")

    def __init__(self) -> None:
        self.lags: deque[float] = deque(maxlen=LAG_RING)
        self._at = -1
        self._cached: tuple[float | None, float | None] = (None, None)

    def summary(self, count: int) -> tuple[float | None, float | None]:
        if count != self._at:
            values = sorted(self.lags)
            self._cached = (percentile(values, 50), values[-1]) if values else (None, None)
            self._at = count
        return self._cached


class ContentWatch:
    """Lag, sequence gaps and frozen values of one feed, with the events they raise."""

    def __init__(
        self,
        config: FeedConfig,
        clock: Clock,
        emit: RaiseEvent,
        request_reconnect: Callable[[str], object],
    ) -> None:
        self._clock = clock
        self._emit = emit
        self._request_reconnect = request_reconnect
        # Lag.
        self.time_path = split_path(config.event_time) if config.event_time else None
        self.time_unit = config.event_time_unit
        self.max_lag = config.max_lag
        self.lag = LagSummary()
        self.lag_count = 0
        self.lagging = False
        self._streak = 0  # consecutive messages on the other side of max_lag
        # Sequence.
        self.seq_path = split_path(config.sequence) if config.sequence else None
        self.reconnect_on_gap = config.on_gap == "reconnect"
        self.expected: int | None = None
        self.gaps = 0
        self.missed_total = 0
        self.out_of_order = 0
        # Frozen value.
        self.value_path = (
            split_path(config.value) if config.value and config.frozen_after is not None else None
        )
        self.frozen_after = config.frozen_after
        self.value: Any = MISSING
        self.changed_at = clock.monotonic()
        self.repeated_at: float | None = None  # the latest data repeating the value
        self.frozen = False
        self._frozen_due = Deadline(clock, self._frozen_check)
        self._counting = False

    @staticmethod
    def wanted(config: FeedConfig) -> bool:
        """Whether a feed asks for any content signal (else the hot path skips this module)."""
        return bool(config.event_time or config.sequence or config.value)

    # -- lifecycle ---------------------------------------------------------------------------

    def connected(self) -> None:
        """A new connection: its first sequence number is a fresh start, not a gap."""
        self.expected = None

    def count(self, now: float) -> None:
        """Watch from ``now`` (start, resume, leaving quiet): an unchanged value counts afresh."""
        self._counting = True
        self.changed_at = now
        self.repeated_at = None
        if self.frozen_after is not None and self.value_path is not None:
            self._frozen_due.rearm(now + self.frozen_after)

    def stand_down(self, forget: bool = False) -> None:
        """Paused or quiet: lagging and frozen end without events, and nothing is timed."""
        self._counting = False
        self._frozen_due.disarm()
        self.lagging = False
        self.frozen = False
        self._streak = 0

    def stop(self) -> None:
        self._frozen_due.disarm()

    # -- the hot path ------------------------------------------------------------------------

    def observe(self, doc: Any, now: float) -> None:
        """One data message's parsed JSON (MISSING when it was not JSON)."""
        if doc is MISSING:
            return
        if self.time_path is not None:
            self._lag(json_path(doc, self.time_path))
        if self.seq_path is not None:
            self._sequence(json_path(doc, self.seq_path))
        if self.value_path is not None:
            self._value(json_path(doc, self.value_path), now)

    def _lag(self, raw: Any) -> None:
        when = event_seconds(raw, self.time_unit)
        if when is None:
            return
        lag = self._clock.time() - when
        self.lag.lags.append(lag)
        self.lag_count += 1
        limit = self.max_lag
        if limit is None or not self._counting:
            return
        if (lag > limit) is self.lagging:
            self._streak = 0
            return
        self._streak += 1
        if self._streak < (LAG_EXIT if self.lagging else LAG_ENTER):
            return
        self._streak = 0
        self.lagging = not self.lagging
        self._emit(
            EventKind.LAGGING,
            reason=(
                f"data {lag:.2f}s old (max_lag {limit:g}s)"
                if self.lagging
                else f"ended: data {lag:.2f}s old"
            ),
            active=self.lagging,
            lag_seconds=round(lag, 6),
            max_lag_seconds=limit,
        )

    def _sequence(self, raw: Any) -> None:
        if isinstance(raw, bool):
            return
        if isinstance(raw, str):
            try:
                raw = int(raw)
            except ValueError:
                return
        if not isinstance(raw, int):
            return
        expected = self.expected
        if expected is None or raw == expected:
            self.expected = raw + 1
            return
        if raw < expected:
            self.out_of_order += 1  # a duplicate or a late one: nothing was lost
            return
        missed = raw - expected
        self.gaps += 1
        self.missed_total += missed
        self.expected = raw + 1
        self._emit(
            EventKind.GAP,
            reason=f"lost {missed} message{'s' if missed != 1 else ''}",
            missed=missed,
            expected=expected,
            got=raw,
        )
        if self.reconnect_on_gap:
            self._request_reconnect(f"sequence gap: lost {missed}")

    def _value(self, value: Any, now: float) -> None:
        if value is MISSING:
            return
        if value == self.value and type(value) is type(self.value):
            self.repeated_at = now
            if not self.frozen and self._counting and self._frozen_due.timer is None:
                assert self.frozen_after is not None
                self._frozen_due.arm(self.changed_at + self.frozen_after)
            return
        previous, since = self.value, self.changed_at
        self.value = value
        self.changed_at = now
        self.repeated_at = None
        if self.frozen:
            self.frozen = False
            self._emit(
                EventKind.FROZEN,
                reason="ended: value changed",
                active=False,
                value=previous,
                frozen_seconds=round(now - since, 6),
            )
        # The running deadline stays; when it fires it re-checks against changed_at.

    def _frozen_check(self) -> None:
        if not self._counting or self.frozen or self.frozen_after is None:
            return
        now = self._clock.monotonic()
        due = self.changed_at + self.frozen_after
        if now < due:
            self._frozen_due.arm(due)
            return
        if self.repeated_at is None or self.value is MISSING:
            return  # no data since the change: that is staleness, not a frozen value
        self.frozen = True
        self._emit(
            EventKind.FROZEN,
            reason=f"value unchanged for {self.frozen_after:g}s",
            active=True,
            value=self.value,
            frozen_seconds=round(now - self.changed_at, 6),
        )

    # -- sampling ----------------------------------------------------------------------------

    def lag_summary(self) -> tuple[float | None, float | None]:
        """(p50, max) of the recent lags in seconds; (None, None) before any."""
        return self.lag.summary(self.lag_count)
