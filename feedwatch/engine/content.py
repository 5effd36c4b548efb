"""Content signals: what the data says about itself while messages keep flowing.

Three optional checks read fields of each data message (the JSON the classifier
already parsed, never parsed again): how old the exchange's own timestamp is
(lag), whether a sequence number skipped (gaps, in ``sequence``), and whether a
value stopped changing (frozen). Each costs a path lookup and a few attribute
writes per message; a feed that sets none of them never reaches this module.
A path that reads nothing for a minute of data is a config mismatch (``mismatch``).

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
from feedwatch.engine.mismatch import PathProbe
from feedwatch.engine.sequence import SequenceCheck
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
        # Lag: of several paths (one per message shape), the first that reads a timestamp.
        written = config.event_time
        time_paths = (written,) if isinstance(written, str) else tuple(written or ())
        self.time_paths = tuple(split_path(path) for path in time_paths)
        self._time_probe = PathProbe("event_time", time_paths, emit) if time_paths else None
        self.time_unit = config.event_time_unit
        self.max_lag = config.max_lag
        self.lag = LagSummary()
        self.lag_count = 0
        self.lagging = False
        self._streak = 0  # consecutive messages on the other side of max_lag
        # Sequence.
        self.sequence = SequenceCheck(config, emit, request_reconnect) if config.sequence else None
        self._seq_probe = (
            PathProbe("sequence", self.sequence.paths, emit) if self.sequence else None
        )
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
        self._value_probe = (
            PathProbe("value", (config.value,), emit)
            if config.value and self.value_path is not None
            else None
        )
        self.probes = tuple(
            p for p in (self._time_probe, self._seq_probe, self._value_probe) if p is not None
        )

    @staticmethod
    def wanted(config: FeedConfig) -> bool:
        """Whether a feed asks for any content signal (else the hot path skips this module)."""
        return bool(config.event_time or config.sequence or config.value)

    # -- lifecycle ---------------------------------------------------------------------------

    def connected(self) -> None:
        """A new connection: its first sequence number is a fresh start, not a gap."""
        if self.sequence is not None:
            self.sequence.connected()

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

    def observe(self, doc: Any, now: float, channel: str | None = None) -> None:
        """One data message's parsed JSON (MISSING when it was not JSON), and its channel."""
        if doc is MISSING:
            for probe in self.probes:
                probe.missed(now)
            return
        time_probe = self._time_probe
        if time_probe is not None:
            when = self._event_time(doc)
            if when is None:
                time_probe.missed(now)
            else:
                time_probe.read()
                self._lag(when)
        sequence, seq_probe = self.sequence, self._seq_probe
        if sequence is not None and seq_probe is not None:
            if sequence.observe(doc, channel):
                seq_probe.read()
            else:
                seq_probe.missed(now)
        value_path, value_probe = self.value_path, self._value_probe
        if value_path is not None and value_probe is not None:
            value = json_path(doc, value_path)
            if value is MISSING:
                value_probe.missed(now)
            else:
                value_probe.read()
                self._value(value, now)

    def _event_time(self, doc: Any) -> float | None:
        """Unix seconds from the first event_time path that reads a timestamp."""
        unit = self.time_unit
        for path in self.time_paths:
            when = event_seconds(json_path(doc, path), unit)
            if when is not None:
                return when
        return None

    def _lag(self, when: float) -> None:
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

    def _value(self, value: Any, now: float) -> None:
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

    @property
    def missed_total(self) -> int:
        """Update ids (or messages) lost to sequence gaps."""
        return 0 if self.sequence is None else self.sequence.missed_total

    @property
    def out_of_order(self) -> int:
        return 0 if self.sequence is None else self.sequence.out_of_order

    def notes(self) -> tuple[str, ...]:
        """What the snapshot says about the config: each path that reads nothing, in words."""
        return tuple(p.note for p in self.probes if p.note is not None)

    def lag_summary(self) -> tuple[float | None, float | None]:
        """(p50, max) of the recent lags in seconds; (None, None) before any."""
        return self.lag.summary(self.lag_count)
