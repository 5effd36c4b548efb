"""Liveness: the per-feed and per-channel state machine, driven by deadlines.

No I/O happens here. The worker reports what the transport did (connected,
data, heartbeat, closed); this module keeps the clocks and counters, arms one
timer per feed (and per channel) at ``last data + stale_after``, and emits
events. Data messages do not touch the timer: when it fires it re-checks the
real deadline and re-arms if data came in the meantime, so the hot path costs
a few attribute writes and detection still happens at the deadline itself.

The schedule (window thresholds and quiet hours), max_silence and down_after
keep their own timers in ``conditions``; the monitor decides when they count.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

from feedwatch.config.model import FeedConfig
from feedwatch.engine.clock import Clock, Timer
from feedwatch.engine.conditions import (
    Counted,
    DownClock,
    ScheduleKeeper,
    SilenceClock,
    Stoppable,
    StormClock,
)
from feedwatch.engine.content import ContentWatch
from feedwatch.engine.events import Event, EventKind
from feedwatch.engine.first_data import FirstData
from feedwatch.engine.gap_histogram import bin_of
from feedwatch.engine.journal import EventJournal, Publish
from feedwatch.engine.learned import LearnedThreshold
from feedwatch.engine.redact import FeedRedactor
from feedwatch.engine.schedule import Regime, window_label
from feedwatch.engine.snapshot import ChannelSnapshot, FeedSnapshot
from feedwatch.engine.threshold import Threshold
from feedwatch.engine.verdict import State, is_healthy
from feedwatch.engine.watch import Watch


class Phase(StrEnum):
    """What the connection is doing, as opposed to what the data says."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    BACKOFF = "backoff"
    PAUSED = "paused"
    STOPPED = "stopped"


RequestReconnect = Callable[[str], object]


# On the hot path: reading an enum member off its class costs about ten attribute reads on
# Python 3.11 (enum's class __getattr__), a module global one.
_CONNECTING = State.CONNECTING


class FeedMonitor:
    """Everything feedwatch knows about one feed's liveness, and the events it raises."""

    def __init__(
        self,
        config: FeedConfig,
        clock: Clock,
        emit: Publish,
        request_reconnect: RequestReconnect,
    ) -> None:
        self.config = config
        self.name = config.name
        self.clock = clock
        self._request_reconnect = request_reconnect
        self.threshold = Threshold(
            config,
            self._learned_seconds,
            self._channel_learned if config.channel_stale_after_auto else None,
        )
        self.first_data = FirstData(config)
        self._awaiting_first = False  # connected, the session's first data not yet in
        self.reconnect_on_stale = config.reconnect_on_stale
        self.phase = Phase.CONNECTING
        self.watch = Watch(clock, None, config.stale_after, self._due)  # nothing overrides it yet
        self.channels: dict[str, Watch] = {}
        self.dropped_channels = 0
        self._started = False  # no timers before start(): there may be no event loop yet
        self.storm = StormClock(config.storm, clock, self.emit)
        self.schedule = ScheduleKeeper(config, clock, self._on_schedule)
        self.silence = SilenceClock(config.max_silence, clock, self.watch, self.emit)
        self.down = DownClock(config.down_after, clock, self.emit)
        self.content = (
            ContentWatch(config, clock, self.emit, request_reconnect)
            if ContentWatch.wanted(config)
            else None
        )
        self.learned = (
            LearnedThreshold(
                config, clock, self.emit, self._learned_threshold, self._apply_threshold
            )
            if config.learns
            else None
        )
        self._feed_learns = config.stale_after_auto
        # The conditions beside staleness, each listed once: a new one is one more entry.
        # Counted ones count only while alarming; every one stops with the monitor.
        self._counted: tuple[Counted, ...] = (self.silence, self.down) + (
            (self.content,) if self.content is not None else ()
        )
        self._conditions: tuple[Stoppable, ...] = (
            self.schedule,
            self.storm,
            *self._counted,
            *((self.learned,) if self.learned is not None else ()),
        )
        for key in config.channels:
            self._add_channel(key)
        # Connection facts.
        self.connected_at: float | None = None
        self.connected_since_wall: float | None = None
        self.last_heartbeat: float | None = None
        self.bytes = 0
        self.heartbeats = 0
        self.ignored = 0
        self.replies = 0
        self.invalid = 0
        self.subscribe_sent = 0
        self.reconnects = 0
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.last_error: str | None = None  # redacted, as all text the monitor keeps
        self.redact = FeedRedactor(config)
        self.journal = EventJournal(config.name, clock, self.redact, emit)
        # (monotonic time, first bytes) of the latest messages, for the detail view.
        self.recent_raw: deque[tuple[float, bytes]] = deque(maxlen=20)
        self._monotonic = clock.monotonic
        self._rate_timer: Timer | None = None
        # When this process started (monotonic), once data from before it was carried over.
        self.restarted_at: float | None = None
        # The one verdict every surface reads; a ``state`` event says each change of it.
        self.verdict = State.CONNECTING

    # -- events -------------------------------------------------------------

    def emit(
        self,
        kind: EventKind,
        /,
        *,
        channel: str | None = None,
        reason: str | None = None,
        age: float | None = None,
        **fields: Any,
    ) -> Event:
        event = self.journal.make(kind, channel, reason, age, fields)
        if kind is EventKind.STATE:
            self.journal.publish(event)
            return event
        # The verdict moves before anyone hears why, so a listener reads the new one.
        previous = self.verdict
        self.verdict = self.state
        self.journal.publish(event)
        if self.verdict is not previous:
            self._announce_verdict(previous)
        return event

    def _settle(self) -> None:
        """Take the verdict anew after a change no event tells; say so when it moved."""
        previous = self.verdict
        self.verdict = self.state
        if self.verdict is not previous:
            self._announce_verdict(previous)

    def _announce_verdict(self, previous: State) -> None:
        state = self.verdict
        stale = [k for k, ch in self.channels.items() if ch.stale] if state is State.PARTIAL else []
        self.emit(
            EventKind.STATE,
            reason=partial_reason(stale, len(self.channels)) if stale else None,
            state=str(state),
            previous=str(previous),
            channels_stale=len(stale) or None,
            channels=len(self.channels) if stale else None,
        )

    @property
    def events(self) -> deque[Event]:
        """This feed's latest events, oldest first."""
        return self.journal.events

    @property
    def last_event(self) -> Event | None:
        return self.journal.last

    # -- state --------------------------------------------------------------

    @property
    def stale(self) -> bool:
        return self.watch.stale

    @property
    def quiet(self) -> bool:
        """Inside a quiet schedule window: measured, never alarmed."""
        return self.schedule.quiet

    @property
    def window(self) -> str | None:
        """The label of the schedule window in force, None outside every window."""
        regime = self.schedule.regime
        return None if regime is None or regime.window is None else window_label(regime.window)

    @property
    def state(self) -> State:
        """The feed's state from its own data and its channels' (``verdict`` holds it)."""
        state = self._own_state()
        if state is State.LIVE and any(ch.stale for ch in self.channels.values()):
            return State.PARTIAL
        return state

    def _own_state(self) -> State:
        """Paused > quiet > stale > frozen > lagging > backoff > connecting > live."""
        if self.phase is Phase.PAUSED:
            return State.PAUSED
        if self.schedule.quiet:
            return State.QUIET
        if self.watch.stale:
            return State.STALE
        content = self.content
        if content is not None:
            if content.frozen:
                return State.FROZEN
            if content.lagging:
                return State.LAGGING
        if self.phase is Phase.BACKOFF:
            return State.BACKOFF
        if self.phase is not Phase.CONNECTED:
            return State.CONNECTING
        last = self.watch.last_data
        if last is None or self.connected_at is None or last < self.connected_at:
            return State.CONNECTING  # subscribed, awaiting the first data message
        return State.LIVE

    def channel_state(self, watch: Watch) -> State:
        if self.phase is Phase.PAUSED:
            return State.PAUSED
        if self.schedule.quiet:
            return State.QUIET
        if watch.stale:
            return State.STALE
        if watch.last_data is None:
            return State.CONNECTING
        return State.LIVE

    @property
    def messages(self) -> int:
        """Every message received, whatever its kind."""
        return self.watch.messages + self.heartbeats + self.ignored + self.replies + self.invalid

    @property
    def connected(self) -> bool:
        return self.phase is Phase.CONNECTED

    @property
    def _alarming(self) -> bool:
        """Whether deadlines count now: not paused, stopped or quiet."""
        return self.phase not in (Phase.PAUSED, Phase.STOPPED) and not self.schedule.quiet

    # -- what the worker reports ---------------------------------------------

    def start(self) -> None:
        """Begin watching: the first deadline counts from now."""
        self._started = True
        if self.learned is not None:
            self.learned.start()
        change = self.schedule.start()
        if change is not None:
            self._announce_regime(change[1])
        now = self.clock.monotonic()
        self._open_window(now)
        self._grant(now)
        if self._rate_timer is None:
            self._sample_rates()

    def carry_over(self, channel: str | None, last_data: float, restarted_at: float) -> None:
        """Data seen before a restart (monotonic times): the age counts from it, not from zero.

        Call it before ``start``: the first deadline still counts from the start, so a
        feed that resumes at once is not called stale, but its age is the true one.
        """
        self.restarted_at = restarted_at
        if channel is None:
            watch: Watch | None = self.watch
        else:
            watch = self.channels.get(channel) or self._add_channel(channel)
        if watch is not None:
            watch.carry_over(last_data)

    def seed_channels(self, rows: Iterable[tuple[str, int, int]]) -> None:
        """What each channel learned in an earlier run (channel_stale_after = "auto")."""
        learned = self.learned
        if learned is None or learned.channels is None:
            return
        # A channel not seen yet takes its counts when it appears (a channel gone from the
        # feed is not watched for being in the file).
        learned.seed_channels(rows)

    def _before_restart(self, watch: Watch) -> float | None:
        """How much of a silence lies before this process started (None: none of it)."""
        restarted, last = self.restarted_at, watch.last_data
        if restarted is None or last is None or last >= restarted:
            return None
        return round(restarted - last, 6)

    def _open_window(self, now: float) -> None:
        """Every deadline counts afresh from ``now`` (start, resume, quiet ends); data age stays."""
        counting = self._alarming
        for watch in (self.watch, *self.channels.values()):
            watch.restart_window(now, arm=counting)
        if counting:
            for condition in self._counted:
                condition.count(now)

    def _grant(self, now: float) -> None:
        """A session (or watching) begins: each watch has the allowance for its first data."""
        allowance = self.first_data.allowance()
        if allowance is None:
            return
        until = now + allowance
        for watch in (self.watch, *self.channels.values()):
            watch.grace_until = until
            if self._started and self._alarming and not watch.stale:
                watch.arm(watch.deadline())  # the timer re-checks: arming early is harmless

    def _within(self, watch: Watch) -> float:
        """How long the current connection has to deliver to a stale watch."""
        allowance = self.first_data.allowance()
        return watch.stale_after if allowance is None else max(watch.stale_after, allowance)

    def _stand_down(self, forget_failures: bool) -> None:
        """Paused or quiet: no timers, and stale, silence and down end without events."""
        for watch in (self.watch, *self.channels.values()):
            watch.stand_down()
        for condition in self._counted:
            condition.stand_down(forget_failures)

    def _sample_rates(self) -> None:
        # Once a second, not once a message: rates cost nothing on the hot path.
        now = self.clock.monotonic()
        self.watch.rates.sample(now, self.watch.messages)
        for ch in self.channels.values():
            ch.rates.sample(now, ch.messages)
        self._rate_timer = self.clock.call_at(now + 1.0, self._sample_rates)

    def on_connecting(self) -> None:
        self.phase = Phase.CONNECTING
        self._settle()

    def on_connected(self, subscribed: int, url: str) -> None:
        now = self.clock.monotonic()
        self.phase = Phase.CONNECTED
        self.connected_at = now
        for watch in (self.watch, *self.channels.values()):
            watch.new_session(now)  # a gap across the reconnect is not a normal gap
        self._awaiting_first = True
        self.connected_since_wall = self.clock.time()
        self.subscribe_sent += subscribed
        self.close_code = None
        self.close_reason = None
        self.emit(EventKind.CONNECTED, url=url, subscribed=subscribed)
        self.down.connected()
        if self.content is not None:
            self.content.connected()
        if not self._alarming:
            return
        # In an outage the new connection gets stale_after (or the session allowance) to
        # deliver data; otherwise the running deadline (last data + stale_after) stands,
        # pushed back to the allowance when the feed has one.
        self._grant(now)
        for watch in (self.watch, *self.channels.values()):
            watch.arm(now + self._within(watch) if watch.stale else watch.deadline())

    def on_disconnected(
        self,
        code: int | None,
        reason: str | None,
        cause: str,
        *,
        planned: bool = False,
        stopping: bool = False,
    ) -> None:
        """The connection ended; a planned close (announced by the server) is no failure,
        and neither is feedwatch itself stopping (an INFO event, not a warning)."""
        self.phase = Phase.BACKOFF
        self.close_code = code
        self.close_reason = None if reason is None else self.redact(reason)
        self.emit(
            EventKind.DISCONNECTED,
            reason=cause,
            code=code,
            close_reason=reason or None,
            planned=planned or None,
            stopping=stopping or None,
        )
        if not planned:
            self.down.failed(cause, counting=self._alarming)
        self._awaiting_first = False
        for watch in (self.watch, *self.channels.values()):
            watch.grace_until = -math.inf  # the allowance was the session's, and it ended
        # Data age keeps counting while disconnected: a feed that cannot get
        # back within stale_after goes stale on time, connected or not.
        if self._alarming:
            self.watch.arm(self.watch.deadline())

    def on_backoff(self, delay: float, attempt: int, reason: str) -> None:
        self.phase = Phase.BACKOFF
        self.emit(
            EventKind.RECONNECTING,
            reason=reason,
            delay_seconds=round(delay, 3),
            attempt=attempt,
        )

    def on_reconnect_attempt(self, count_for_storm: bool = True) -> None:
        """Counts one reconnect and raises a storm when they pile up."""
        self.reconnects += 1
        self.phase = Phase.CONNECTING
        self.storm.reconnected(self.clock.monotonic(), counted=count_for_storm)
        self._settle()

    def on_error(self, reason: str, **fields: Any) -> None:
        self.last_error = self.redact(reason)
        self.emit(EventKind.ERROR, reason=reason, **fields)
        if self.phase is Phase.CONNECTING:  # a connect attempt failed
            self.down.failed(reason, counting=self._alarming)

    def on_data(self, size: int, channel: str | None, raw: bytes) -> None:
        # The hot path: one clock read, counters, two bounded appends.
        now = self._monotonic()
        self.bytes += size
        self.recent_raw.append((now, raw))
        watch = self.watch
        if self._feed_learns:
            last = watch.last_data
            # A gap that spans a pause, a quiet window, a reconnect or a restart says
            # nothing of the feed (normal_from is the start of the watched session).
            if last is not None and last >= watch.normal_from:
                self.learned.profile.add(now - last)  # type: ignore[union-attr]
        if self._awaiting_first:
            self._awaiting_first = False
            if self.connected_at is not None:
                self.first_data.arrived(now - self.connected_at)
        previous = watch.record(now)
        if previous is not None:
            self._recover(watch, now, previous)
        if self.silence.active:
            self.silence.data_returned(now)
        if channel is not None:
            ch = self.channels.get(channel)
            if ch is None:
                ch = self._add_channel(channel)
                if ch is None:
                    return
            learning = ch.learning
            if learning is not None:
                last = ch.last_data
                if last is not None and last >= ch.normal_from:
                    learning.add_bin(bin_of(now - last))
            previous = ch.record(now)
            if previous is not None:
                self._recover(ch, now, previous)
        if self.verdict is _CONNECTING:  # the first data of a session: live now
            self._settle()

    def on_content(self, doc: Any, channel: str | None = None) -> None:
        """What the data message just counted by on_data says (its parsed JSON)."""
        if self.content is not None:
            self.content.observe(doc, self.watch.last_data or 0.0, channel)

    def on_planned_close(self, size: int, raw: bytes, reason: str) -> None:
        """The server announced a disconnect: say so before reconnecting at once."""
        self.on_other(size, raw)
        self.emit(EventKind.PLANNED_CLOSE, reason=reason)

    def on_data_at(self, age: float, size: int, channel: str | None, raw: bytes) -> None:
        """Data its source says is ``age`` seconds old (a polled service's own data age, a
        database's newest row, per channel when a row names one).

        An age past stale_after (the channel's, for a channel) proves the source answers, not
        that it has data: a heartbeat. The clocks never move back: of several rows in one
        answer the feed's follows the newest.
        """
        watch = self.watch
        ch = self.channels.get(channel) if channel is not None else None
        if channel is None:
            limit = watch.stale_after
        else:
            limit = ch.stale_after if ch is not None else self.threshold.channel_for(channel)
        if age >= limit:
            self.on_heartbeat(size, raw)
            return
        before = watch.last_data
        channel_before = ch.last_data if ch is not None else None
        self.on_data(size, channel, raw)
        at = self._monotonic() - age
        watch.last_data = at if before is None else max(at, before)
        if self._started and self._alarming:
            watch.arm(watch.last_data + watch.stale_after)
        ch = self.channels.get(channel) if channel is not None else None
        if ch is not None:
            ch.last_data = at if channel_before is None else max(at, channel_before)
            if self._started and self._alarming:
                ch.arm(ch.last_data + ch.stale_after)

    def on_heartbeat(self, size: int, raw: bytes) -> None:
        self.bytes += size
        self.heartbeats += 1
        self.last_heartbeat = now = self._monotonic()
        self.recent_raw.append((now, raw))

    def on_other(
        self, size: int, raw: bytes, *, reply: bool = False, invalid: bool = False
    ) -> None:
        self.bytes += size
        if reply:
            self.replies += 1
        elif invalid:
            self.invalid += 1
        else:
            self.ignored += 1
        self.recent_raw.append((self._monotonic(), raw))

    # -- commands -----------------------------------------------------------

    def set_stale_after(self, seconds: float) -> None:
        """Change the threshold live: the deadline moves at once, in either direction.

        On a feed with a schedule the change holds until the next window boundary;
        from there the schedule's threshold is in force again.
        """
        old = self.stale_after
        self.threshold.change(seconds)  # raises ValueError for a value that is no threshold
        self.emit(
            EventKind.THRESHOLD_CHANGED,
            reason=f"stale_after {old:g}s -> {seconds:g}s",
            old_seconds=old,
            new_seconds=seconds,
        )
        self._apply_threshold()

    def _apply_threshold(self) -> None:
        """Give every watch the threshold in force, and move their deadlines to match."""
        threshold = self.threshold
        self.watch.stale_after = threshold.feed
        for key, ch in self.channels.items():
            ch.stale_after = threshold.channel_for(key)
        for watch in (self.watch, *self.channels.values()):
            self._rearm(watch)

    def _on_schedule(self, old: Regime | None, new: Regime) -> None:
        """A window boundary: its threshold replaces any live change; quiet begins or ends."""
        self._announce_regime(new)
        if not self._started or self.phase in (Phase.PAUSED, Phase.STOPPED):
            return  # resuming opens a fresh window under the new regime
        if new.quiet:
            self._stand_down(forget_failures=False)
        elif old is not None and old.quiet:
            self._open_window(self.clock.monotonic())

    @property
    def stale_after(self) -> float:
        """The feed's threshold in force."""
        return self.threshold.feed

    def _learned_seconds(self) -> float | None:
        if self.learned is None or not self._feed_learns:
            return None
        return self.learned.current.seconds

    def _channel_learned(self, key: str) -> float:
        channels = None if self.learned is None else self.learned.channels
        assert channels is not None  # only asked with channel_stale_after = "auto"
        return channels.seconds(key)

    def _learned_threshold(self, seconds: float) -> None:
        """The learned value moved: it applies unless a schedule window sets its own."""
        if self.threshold.learned_moved():
            self._apply_threshold()

    def _announce_regime(self, regime: Regime) -> None:
        self.threshold.enter_window(regime.stale_after)
        threshold = self.threshold.feed
        label = window_label(regime.window)
        where = "outside every window" if regime.window is None else label
        self.emit(
            EventKind.SCHEDULE,
            reason=f"quiet: {where}" if regime.quiet else f"stale_after {threshold:g}s: {where}",
            window=label,
            quiet=regime.quiet,
            stale_after_seconds=threshold,
        )
        self._apply_threshold()

    def on_paused(self) -> None:
        """Stop watching (no alarms while paused) and say so."""
        self.emit(EventKind.DISCONNECTED, reason="paused by user", paused=True)
        self.phase = Phase.PAUSED
        self._stand_down(forget_failures=True)
        self._settle()

    def on_resumed(self) -> None:
        """Watch again with a fresh window; the true data age is kept."""
        self.phase = Phase.CONNECTING
        self.start()
        self.emit(EventKind.RECONNECTING, reason="resumed by user", delay_seconds=0.0)

    def stop(self) -> None:
        self.phase = Phase.STOPPED
        for watch in (self.watch, *self.channels.values()):
            watch.disarm()
        for condition in self._conditions:
            condition.stop()
        if self._rate_timer is not None:
            self._rate_timer.cancel()
            self._rate_timer = None

    # -- what consumers read --------------------------------------------------

    def _channel_snapshot(self, w: Watch, now: float) -> ChannelSnapshot:
        return ChannelSnapshot(
            key=w.key or "",
            state=self.channel_state(w),
            last_data_age=w.data_age(now),
            signal_age=w.signal_age(now),
            stale_after=w.stale_after,
            messages=w.messages,
            rate_1s=w.rates.rate(1),
            rate_10s=w.rates.rate(10),
            gaps=w.gaps.summary(w.messages),
            rate_recent=w.rates.recent(now, w.messages),
            learned=self._channel_reason(w),
        )

    def _channel_reason(self, w: Watch) -> str | None:
        channels = None if self.learned is None else self.learned.channels
        if channels is None or w.key is None or self.config.channel_stale_after is not None:
            return None
        learned = channels.current.get(w.key)
        return channels.threshold(w.key).reason if learned is None else learned.reason

    def snapshot(
        self, now: float, wall: float, *, url: str, paused: bool, ping_rtt: float | None
    ) -> FeedSnapshot:
        """A consistent copy of this feed's state (``now`` monotonic, ``wall`` unix)."""
        w = self.watch
        return FeedSnapshot(
            name=self.name,
            url=url,
            state=self.verdict,
            healthy=is_healthy(self.verdict, self.config.channel_health),
            replies=self.replies,
            connected=self.connected,
            stale=w.stale,
            storm=self.storm.active,
            paused=paused,
            stale_after=self.stale_after,
            last_data_age=w.data_age(now),
            signal_age=w.signal_age(now),
            last_heartbeat_age=None if self.last_heartbeat is None else now - self.last_heartbeat,
            last_data_wall=None if w.last_data is None else wall - (now - w.last_data),
            connected_since_wall=self.connected_since_wall if self.connected else None,
            messages=self.messages,
            data_messages=w.messages,
            heartbeats=self.heartbeats,
            ignored=self.ignored,
            invalid=self.invalid,
            bytes=self.bytes,
            rate_1s=w.rates.rate(1),
            rate_10s=w.rates.rate(10),
            rate_60s=w.rates.rate(60),
            gaps=w.gaps.summary(w.messages),
            recent_gaps=tuple(w.gaps.recent(60)),
            reconnects=self.reconnects,
            storm_reconnects=self.storm.count(now),
            ping_rtt=ping_rtt,
            close_code=self.close_code,
            close_reason=self.close_reason,
            last_error=self.last_error,
            last_event=self.last_event.describe(with_feed=False) if self.last_event else None,
            subscribe_sent=self.subscribe_sent,
            channels=tuple(self._channel_snapshot(c, now) for c in self.channels.values()),
            taken_at=wall,
            quiet=self.quiet,
            window=self.window,
            silence=self.silence.active,
            down=self.down.active,
            max_silence=self.config.max_silence,
            learned=self.learned.current.reason
            if self.learned is not None and self._feed_learns
            else None,
            first_data=self.first_data.describe(),
            rate_recent=w.rates.recent(now, w.messages),
            **self._content_facts(),
        )

    def _content_facts(self) -> dict[str, Any]:
        content = self.content
        if content is None:
            return {}
        p50, worst = content.lag_summary()
        return {
            "lagging": content.lagging,
            "frozen": content.frozen,
            "lag_p50": p50,
            "lag_max": worst,
            "missed_messages": content.missed_total,
            "out_of_order": content.out_of_order,
            "notes": content.notes(),
        }

    # -- deadlines ----------------------------------------------------------

    def _rearm(self, watch: Watch) -> None:
        if not self._started or not self._alarming:
            return
        watch.disarm()
        if watch.stale and self.connected and self.connected_at is not None:
            watch.arm(self.connected_at + self._within(watch))
        else:
            watch.arm(watch.deadline())

    def _due(self, watch: Watch) -> None:
        """A deadline fired: the feed or channel is stale now, or its re-armed check is."""
        if not self._alarming:
            return
        now = self.clock.monotonic()
        feed = self.watch
        is_feed = watch is feed
        reconnect = self.reconnect_on_stale if is_feed else self.config.reconnect_on_channel_stale
        if not watch.stale:
            due = watch.deadline()
            if now < due:
                watch.arm(due)
                return
            if not is_feed and not feed.stale and feed.signal_age(now) > feed.stale_after / 2:
                # The whole feed has gone quiet too: wait for its own verdict
                # rather than report each channel of a feed-wide stall.
                watch.arm(max(feed.deadline(), now) + 0.001)
                return
            watch.stale = True
            watch.stale_at = now
            if is_feed and self._awaiting_first and self.connected:
                self.first_data.missed()  # the session's allowance passed without data
            if is_feed or not feed.stale:  # when the whole feed is stale, its event says it all
                self._announce_stale(watch, now)
                if self.connected and reconnect:
                    self._request_reconnect(
                        "stale: no data" if is_feed else f"stale channel {watch.key}"
                    )
            return
        # Already stale: give the current connection stale_after to deliver.
        if self.connected and reconnect and self.connected_at is not None:
            allowed = self._within(watch)
            due = self.connected_at + allowed
            if now < due:
                watch.arm(due)
                return
            if is_feed:
                self.first_data.missed()  # the next session gets longer
            within = f"no data within {allowed:g}s"
            self._request_reconnect(
                f"{within} of connecting" if is_feed else f"channel {watch.key}: {within}"
            )

    def _announce_stale(self, watch: Watch, now: float) -> None:
        watch.announced = True
        is_feed = watch is self.watch
        self.emit(
            EventKind.STALE,
            channel=watch.key,
            reason=f"no data for {watch.stale_after:g}s"
            if is_feed
            else f"no data on channel for {watch.stale_after:g}s",
            age=watch.signal_age(now),
            stale_after_seconds=watch.stale_after,
            # None drops a field: only the feed's event says how its connection looks.
            connected=self.connected if is_feed else None,
            last_heartbeat_age_seconds=self._heartbeat_age(now) if is_feed else None,
            before_restart_seconds=self._before_restart(watch),
        )

    def _recover(self, watch: Watch, now: float, previous: float) -> None:
        stale_at = watch.stale_at if watch.stale_at is not None else now
        announced = watch.announced
        watch.stale = False
        watch.stale_at = None
        watch.announced = False
        if watch is self.watch:
            # Channels silenced by the feed-wide outage get a fresh window now,
            # so a channel that stays dead is reported on its own.
            for ch in self.channels.values():
                if ch.stale and not ch.announced:
                    ch.restart_window(now)
        if announced:
            self.emit(
                EventKind.RECOVERED,
                channel=watch.key,
                reason="data flowing again",
                age=now - previous,
                outage_seconds=round(now - stale_at, 6),
            )

    def _heartbeat_age(self, now: float) -> float | None:
        return None if self.last_heartbeat is None else round(now - self.last_heartbeat, 6)

    def _add_channel(self, key: str) -> Watch | None:
        if len(self.channels) >= self.config.max_channels:
            self.dropped_channels += 1
            if self.dropped_channels == 1:
                self.on_error(
                    f"more than {self.config.max_channels} channels; "
                    "further channels are counted at feed level only",
                    channel=key,
                )
            return None
        watch = Watch(self.clock, key, self.threshold.channel_for(key), self._due, gap_buffer=256)
        learning = None if self.learned is None else self.learned.channels
        if learning is not None:
            watch.learning = learning.histogram(key)
        if self.connected and self._awaiting_first:
            watch.grace_until = self.watch.grace_until  # a channel new in this session
        self.channels[key] = watch
        if self._started and self._alarming:
            watch.arm(watch.deadline())
        return watch


def partial_reason(stale: list[str], channels: int) -> str:
    """ "2 of 3 channels live (stale: sol)": the partial verdict in words."""
    shown = ", ".join(stale[:3]) + (f" and {len(stale) - 3} more" if len(stale) > 3 else "")
    return f"{channels - len(stale)} of {channels} channels live; stale: {shown}"
