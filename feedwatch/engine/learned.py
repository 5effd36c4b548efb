"""stale_after = "auto": a threshold learned from the feed's own gaps, per hour of the week.

Each data gap lands in a fixed log-scale histogram (``gap_histogram``), so learning
costs one logarithm and two increments per message and the memory is bounded: 192
bins per hour of the week (168 of them) plus one for the whole feed. The p99 is read
from the bins (to within one bin, about 9 %) and turned into a threshold by the same
3-5 x p99 rule ``suggest`` offers, then held between ``auto_min`` and ``auto_max``.

Hours of the week are local time in the feed's schedule timezone (its first window's),
else UTC, so a market's quiet nights learn longer thresholds than its busy days.
An hour with too few gaps borrows the feed-wide figure; with too few of those too,
the threshold stays at ``auto_initial``.

Channels learn apart from the feed (``ChannelGaps``): a multiplexed feed's combined stream
has tiny gaps, so the feed's figure would make every quiet channel flap. Each channel keeps
one histogram of its own gaps (192 bins; ``max_channels`` bounds how many) and, until it
has enough of them, stays at ``auto_initial``: never the feed's learned figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from feedwatch.config.durations import format_duration
from feedwatch.config.model import FeedConfig
from feedwatch.engine.clock import Clock, Deadline
from feedwatch.engine.conditions import RaiseEvent
from feedwatch.engine.events import EventKind
from feedwatch.engine.gap_histogram import BINS, GapHistogram, bin_of
from feedwatch.engine.suggest import FACTOR, suggest_threshold

# Gaps an hour (or the whole feed) needs before its p99 is trusted.
MIN_GAPS = 200
HOURS_OF_WEEK = 168
FEED_WIDE = HOURS_OF_WEEK  # the bucket index of the feed-wide histogram
# A learned value moves the threshold (and says so) only when it changes by more than this.
CHANGE = 0.10
# How often the threshold is worked out again; at whole minutes, so every hour starts on time.
RELEARN_EVERY = 60.0
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hour_of_week(wall: float, zone: ZoneInfo) -> int:
    """0 = Monday 00:00-01:00 ... 167 = Sunday 23:00-24:00, in ``zone``."""
    local = datetime.fromtimestamp(wall, zone)
    return local.weekday() * 24 + local.hour


def hour_label(bucket: int) -> str:
    """How an hour of the week reads on screen: "Tue 14:00-15:00", with an en dash."""
    day, hour = divmod(bucket, 24)
    return f"{_DAY_NAMES[day]} {hour:02d}:00–{(hour + 1) % 24:02d}:00"  # noqa: RUF001


@dataclass(frozen=True)
class Learned:
    """A learned threshold and the evidence behind it."""

    seconds: float
    reason: str  # for people: "4 x p99 of 1,203 gaps in Tue 14:00-15:00 (UTC)"
    learned: bool  # False while the conservative default stands
    p99: float | None = None
    gaps: int = 0


def learn_from(
    histogram: GapHistogram, where: str, floor: float, ceiling: float, initial: float
) -> Learned:
    """The 3-5 x p99 rule on one histogram (with enough gaps), held within the bounds."""
    p99 = histogram.percentile(99)
    suggestion = suggest_threshold(p99, initial, histogram.total)
    assert p99 is not None and suggestion is not None  # total >= min_gaps > 0
    seconds = min(ceiling, max(floor, suggestion.seconds))
    bound = ""
    if seconds != suggestion.seconds:
        name = "auto_min" if seconds == floor else "auto_max"
        bound = f", held at {name} {format_duration(seconds)}"
    reason = f"{FACTOR:g} × p99 of {histogram.total:,} gaps {where}{bound}"  # noqa: RUF001
    return Learned(seconds, reason, learned=True, p99=p99, gaps=histogram.total)


def waiting(initial: float, min_gaps: int, have: int) -> Learned:
    """The conservative default while too few gaps are in, and what it waits for."""
    return Learned(
        initial,
        f"auto_initial {format_duration(initial)} until {min_gaps:,} gaps (have {have:,})",
        learned=False,
        gaps=have,
    )


class ChannelGaps:
    """Each channel's own gap histogram and learned threshold (channel_stale_after = "auto")."""

    def __init__(
        self, floor: float, ceiling: float, initial: float, min_gaps: int = MIN_GAPS
    ) -> None:
        self.floor = floor
        self.ceiling = ceiling
        self.initial = min(ceiling, max(floor, initial))
        self.min_gaps = min_gaps
        self.histograms: dict[str, GapHistogram] = {}
        self.current: dict[str, Learned] = {}

    def histogram(self, key: str) -> GapHistogram:
        """The histogram a channel's gaps go to (kept on its Watch: no lookup per message)."""
        histogram = self.histograms.get(key)
        if histogram is None:
            histogram = self.histograms[key] = GapHistogram()
        return histogram

    def seconds(self, key: str) -> float:
        learned = self.current.get(key)
        return self.initial if learned is None else learned.seconds

    def threshold(self, key: str) -> Learned:
        """What the channel's own gaps say now (not yet in force: see ``relearn``)."""
        histogram = self.histograms.get(key)
        have = 0 if histogram is None else histogram.total
        if histogram is None or have < self.min_gaps:
            return waiting(self.initial, self.min_gaps, have)
        return learn_from(histogram, "on this channel", self.floor, self.ceiling, self.initial)

    def relearn(self) -> list[tuple[str, float, float]]:
        """Read every channel again; (key, old, new) of those that moved past ``CHANGE``."""
        moved = []
        for key in self.histograms:
            new = self.threshold(key)
            old = self.current.get(key)
            old_seconds = self.initial if old is None else old.seconds
            if abs(new.seconds - old_seconds) <= CHANGE * old_seconds:
                self.current[key] = replace(new, seconds=old_seconds)
                continue
            self.current[key] = new
            moved.append((key, old_seconds, new.seconds))
        return moved

    def rows(self) -> list[tuple[str, int, int]]:
        """(channel, bin, count) of every non-empty bin, to keep across restarts."""
        return [
            (key, i, c) for key, h in self.histograms.items() for i, c in enumerate(h.counts) if c
        ]

    def seed(self, rows: Iterable[tuple[str, int, int]], room: int) -> None:
        """Counts saved by an earlier run, for at most ``room`` channels."""
        for key, index, count in rows:
            if not (0 <= index < BINS and count > 0):
                continue
            if key not in self.histograms and len(self.histograms) >= room:
                continue
            self.histogram(key).add_bin(index, count)


class GapProfile:
    """The learned gap distribution of one feed: per hour of the week and feed-wide."""

    def __init__(
        self,
        floor: float,
        ceiling: float,
        initial: float,
        timezone: str | None = None,
        min_gaps: int = MIN_GAPS,
    ) -> None:
        self.floor = floor
        self.ceiling = ceiling
        self.initial = min(ceiling, max(floor, initial))
        self.zone = ZoneInfo(timezone or "UTC")
        self.zone_name = timezone or "UTC"
        self.min_gaps = min_gaps
        self.hours: dict[int, GapHistogram] = {}
        self.feed_wide = GapHistogram()
        self.bucket = 0
        self._current = self._hour(0)

    def _hour(self, bucket: int) -> GapHistogram:
        histogram = self.hours.get(bucket)
        if histogram is None:
            histogram = self.hours[bucket] = GapHistogram()
        return histogram

    def add(self, gap: float) -> None:
        """One data gap, counted in the current hour and feed-wide (the hot path)."""
        index = bin_of(gap)
        self._current.add_bin(index)
        self.feed_wide.add_bin(index)

    def move_to(self, wall: float) -> int:
        """Count further gaps in the hour of the week ``wall`` falls in; returns it."""
        bucket = hour_of_week(wall, self.zone)
        if bucket != self.bucket:
            self.bucket = bucket
            self._current = self._hour(bucket)
        return bucket

    def threshold(self) -> Learned:
        """The threshold for the current hour: its own p99, else the feed's, else the default."""
        where = f"{hour_label(self.bucket)} ({self.zone_name})"
        hour = self.hours.get(self.bucket)
        if hour is not None and hour.total >= self.min_gaps:
            return self._from(hour, f"in {where}")
        if self.feed_wide.total >= self.min_gaps:
            have = 0 if hour is None else hour.total
            return self._from(self.feed_wide, f"feed-wide ({where} has {have:,})")
        return waiting(self.initial, self.min_gaps, self.feed_wide.total)

    def _from(self, histogram: GapHistogram, where: str) -> Learned:
        return learn_from(histogram, where, self.floor, self.ceiling, self.initial)

    # -- persistence ----------------------------------------------------------------------

    def rows(self) -> list[tuple[int, int, int]]:
        """(bucket, bin, count) of every non-empty bin; ``FEED_WIDE`` is the feed-wide one."""
        items = [*self.hours.items(), (FEED_WIDE, self.feed_wide)]
        return [(b, i, c) for b, h in items for i, c in enumerate(h.counts) if c]

    def seed(self, rows: Iterable[tuple[int, int, int]]) -> None:
        """Take counts saved by an earlier run, so a restart does not forget what it learned."""
        for bucket, index, count in rows:
            if not (0 <= index < BINS and count > 0):
                continue
            if bucket == FEED_WIDE:
                self.feed_wide.add_bin(index, count)
            elif 0 <= bucket < HOURS_OF_WEEK:
                self._hour(bucket).add_bin(index, count)


class LearnedThreshold:
    """The learning behind stale_after = "auto" and channel_stale_after = "auto": a minute
    timer reads the profiles and moves a threshold when its learned value changes by more
    than ``CHANGE``."""

    def __init__(
        self,
        config: FeedConfig,
        clock: Clock,
        emit: RaiseEvent,
        apply: Callable[[float], None],
        apply_channels: Callable[[], None] = lambda: None,
    ) -> None:
        timezone = config.schedule[0].timezone if config.schedule else None
        initial = config.auto_initial if config.auto_initial is not None else config.stale_after
        self.feed_learns = config.stale_after_auto
        self.profile = GapProfile(config.auto_min, config.auto_max, initial, timezone)
        self.current = self.profile.threshold()
        self.channels = (
            ChannelGaps(config.auto_min, config.auto_max, initial)
            if config.channel_stale_after_auto
            else None
        )
        self._room = config.max_channels
        self._clock = clock
        self._emit = emit
        self._apply = apply
        self._apply_channels = apply_channels
        self._timer = Deadline(clock, self._tick)

    def start(self) -> None:
        self._tick()

    def stop(self) -> None:
        self._timer.disarm()

    def seed(self, rows: Iterable[tuple[int, int, int]]) -> None:
        """Counts from an earlier run, applied at once (before or after ``start``)."""
        self.profile.seed(rows)
        self.profile.move_to(self._clock.time())
        self.relearn()

    def seed_channels(self, rows: Iterable[tuple[str, int, int]]) -> None:
        """Each channel's counts from an earlier run, applied at once."""
        if self.channels is not None:
            self.channels.seed(rows, self._room)
            self.relearn_channels()

    def _tick(self) -> None:
        wall = self._clock.time()
        self.profile.move_to(wall)
        self.relearn()
        self.relearn_channels()
        self._timer.rearm(self._clock.monotonic() + (RELEARN_EVERY - wall % RELEARN_EVERY))

    def relearn(self) -> None:
        """Read the profile again; a change past ``CHANGE`` moves the threshold, with one event."""
        if not self.feed_learns:
            return
        new, old = self.profile.threshold(), self.current
        if abs(new.seconds - old.seconds) <= CHANGE * old.seconds:
            self.current = replace(new, seconds=old.seconds)  # fresher evidence, same threshold
            return
        self.current = new
        self._emit(
            EventKind.THRESHOLD_CHANGED,
            reason=f"learned: {new.reason}",
            old_seconds=old.seconds,
            new_seconds=new.seconds,
            learned=True,
        )
        self._apply(new.seconds)

    def relearn_channels(self) -> None:
        """Read every channel again; those that moved are applied, and told in one event."""
        if self.channels is None:
            return
        moved = self.channels.relearn()
        if not moved:
            return
        shown = ", ".join(
            f"{key} {format_duration(old)} -> {format_duration(new)}" for key, old, new in moved[:3]
        )
        more = f" and {len(moved) - 3} more" if len(moved) > 3 else ""
        self._emit(
            EventKind.THRESHOLD_CHANGED,
            reason=f"learned channel thresholds: {shown}{more}",
            channels_moved=len(moved),
            learned=True,
        )
        self._apply_channels()
