"""The conditions around a feed's staleness: schedule, max_silence, down_after, storms.

Each keeps one timer on the injected clock, armed at the instant its answer can
change (the next window boundary, the reference + max_silence, the first failure
+ down_after, a whole storm window after the last reconnect), so nothing polls.
The ``FeedMonitor`` decides when each one counts (never while paused; silence
and down never while quiet); these classes keep the bookkeeping and raise the
events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from feedwatch.config.model import FeedConfig, StormSpec
from feedwatch.engine.clock import Clock, Deadline
from feedwatch.engine.events import EventKind
from feedwatch.engine.schedule import Regime, active_window, next_boundary
from feedwatch.engine.storm import StormDetector
from feedwatch.engine.watch import Watch


class RaiseEvent(Protocol):
    """How a condition raises an event: by kind and fields, for the monitor to build, redact
    and record (liveness's ``Emit`` is what then publishes the built ``Event``)."""

    def __call__(
        self,
        kind: EventKind,
        /,
        *,
        reason: str | None = None,
        age: float | None = None,
        **fields: Any,
    ) -> object: ...


class Stoppable(Protocol):
    """A condition with a timer of its own, ended when the monitor stops."""

    def stop(self) -> None: ...


class Counted(Stoppable, Protocol):
    """A condition that counts only while the feed is watched for alarms: counted afresh
    from ``now`` when watching begins (start, resume, a quiet window ends), stood down
    without an event when it ends (paused: ``forget`` what failed; quiet: keep it)."""

    def count(self, now: float) -> None: ...

    def stand_down(self, forget: bool) -> None: ...


class ScheduleKeeper:
    """Which schedule window is in force, re-evaluated by a timer at each boundary."""

    def __init__(
        self,
        config: FeedConfig,
        clock: Clock,
        on_change: Callable[[Regime | None, Regime], None],
    ) -> None:
        self.windows = config.schedule
        self.quiet_outside = config.quiet_outside
        self.regime: Regime | None = None  # None until started, and for unscheduled feeds
        self._clock = clock
        self._on_change = on_change
        self._boundary = Deadline(clock, self._boundary_due)
        self._boundary_wall = 0.0

    @property
    def quiet(self) -> bool:
        return self.regime is not None and self.regime.quiet

    def start(self) -> tuple[Regime | None, Regime] | None:
        """Evaluate now and arm the next boundary: (old, new) if the regime changed."""
        if not (self.windows or self.quiet_outside):
            return None
        return self._evaluate(self._clock.time())

    def stop(self) -> None:
        self._boundary.disarm()

    def _evaluate(self, wall: float) -> tuple[Regime | None, Regime] | None:
        regime = active_window(self.windows, wall, self.quiet_outside)
        boundary = next_boundary(self.windows, wall)
        if boundary is not None:
            # Wall time decides the boundary; the timer runs on the monotonic clock.
            self._boundary_wall = boundary
            self._boundary.rearm(self._clock.monotonic() + (boundary - wall))
        old, self.regime = self.regime, regime
        return None if old == regime else (old, regime)

    def _boundary_due(self) -> None:
        # A timer that fires a hair early (wall and monotonic drift) still sees the new window.
        change = self._evaluate(max(self._clock.time(), self._boundary_wall))
        if change is not None:
            self._on_change(*change)


class SilenceClock:
    """max_silence: a slow deadline at the data reference + max_silence, one event per outage."""

    def __init__(self, limit: float | None, clock: Clock, watch: Watch, emit: RaiseEvent) -> None:
        self.limit = limit
        self.active = False
        self._clock = clock
        self._watch = watch
        self._emit = emit
        self._silent_since = 0.0  # the last data (or start) the active silence counts from
        self._due = Deadline(clock, self._check)

    def count(self, now: float | None = None) -> None:
        """Count from the feed's data reference (start, resume, leaving quiet), not ``now``."""
        if self.limit is not None:
            self._due.rearm(self._watch.reference() + self.limit)

    def stand_down(self, forget: bool = False) -> None:
        """Paused or quiet: stop counting; an active silence ends without an event."""
        self._due.disarm()
        self.active = False

    def stop(self) -> None:
        self._due.disarm()

    def data_returned(self, now: float) -> None:
        """Data ended an active silence."""
        self.active = False
        self._emit(
            EventKind.SILENCE,
            reason="ended: data flowing again",
            age=now - self._silent_since,
            active=False,
            max_silence_seconds=self.limit,
        )
        self.count()

    def _check(self) -> None:
        assert self.limit is not None
        now = self._clock.monotonic()
        due = self._watch.reference() + self.limit
        if now < due:
            self._due.arm(due)
            return
        watch = self._watch
        self.active = True
        self._silent_since = watch.last_data if watch.last_data is not None else watch.since
        self._emit(
            EventKind.SILENCE,
            reason=f"no data for {self.limit:g}s",
            age=watch.signal_age(now),
            active=True,
            max_silence_seconds=self.limit,
        )


class DownClock:
    """down_after: no successful connect for this long since the first failure is down."""

    def __init__(self, limit: float, clock: Clock, emit: RaiseEvent) -> None:
        self.limit = limit
        self.active = False
        self.since: float | None = None  # first failure since the last successful connect
        self.reason: str | None = None  # the latest failure, reported when down
        self._clock = clock
        self._emit = emit
        self._due = Deadline(clock, self._fire)

    def failed(self, reason: str, counting: bool) -> None:
        """A connect attempt failed or the connection ended."""
        self.reason = reason
        if self.since is None:
            self.since = self._clock.monotonic()
            if counting:
                self._due.arm(self.since + self.limit)

    def connected(self) -> None:
        self._due.disarm()
        since, self.since = self.since, None
        if self.active and since is not None:
            self.active = False
            self._emit(
                EventKind.DOWN,
                reason="ended: connected again",
                active=False,
                down_seconds=round(self._clock.monotonic() - since, 6),
            )

    def count(self, now: float) -> None:
        """Leaving quiet: a feed still failing starts its down clock afresh from now."""
        if self.since is not None and not self.active:
            self.since = now
            self._due.rearm(now + self.limit)

    def stand_down(self, forget: bool) -> None:
        """Quiet (keep knowing it fails) or paused (forget): never down, no event."""
        self._due.disarm()
        self.active = False
        if forget:
            self.since = None
            self.reason = None

    def stop(self) -> None:
        self._due.disarm()

    def _fire(self) -> None:
        if self.since is None:
            return
        self.active = True
        self._emit(
            EventKind.DOWN,
            reason=self.reason,
            active=True,
            down_seconds=round(self._clock.monotonic() - self.since, 6),
        )


class StormClock(StormDetector):
    """A storm with its events: raised by the reconnect that crosses the limit, cleared by
    a timer a whole window after the last reconnect."""

    def __init__(self, spec: StormSpec, clock: Clock, emit: RaiseEvent) -> None:
        super().__init__(spec)
        self._clock = clock
        self._emit = emit
        self._clear = Deadline(clock, self._clear_due)

    def reconnected(self, now: float, counted: bool) -> None:
        """One reconnect; forced ones (``counted=False``) never start a storm."""
        if counted and self.record(now):
            count = self.count(now)
            self._emit(
                EventKind.STORM,
                reason=(
                    f"{count} reconnects within "
                    f"{self.spec.window:g}s (limit {self.spec.reconnects})"
                ),
                active=True,
                reconnects=count,
                window_seconds=self.spec.window,
            )
        if self.active:
            self._arm_clear()

    def stop(self) -> None:
        self._clear.disarm()

    def _arm_clear(self) -> None:
        quiet = self.quiet_at()
        if quiet is not None:
            self._clear.rearm(quiet)

    def _clear_due(self) -> None:
        if self.check_clear(self._clock.monotonic()):
            self._emit(
                EventKind.STORM, reason=f"no reconnect for {self.spec.window:g}s", active=False
            )
        elif self.active:
            self._arm_clear()
