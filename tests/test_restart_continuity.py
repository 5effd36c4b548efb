"""Restarts on a fake clock: a feed's age never starts again from zero.

The previous process's last data (wall time, as the history store keeps it) is carried
into the new engine; a silent feed is reported with its true age, and says how much of
it lies before the restart, while a feed that resumes at once is never called stale.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from feedwatch.config.model import Config, FeedConfig, HistoryConfig
from feedwatch.engine.clock import FakeClock
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind, rough_duration
from feedwatch.engine.verdict import State
from feedwatch.outputs.http.health import feed_health

FEED = FeedConfig(name="btc", url="ws://127.0.0.1:1/btc", stale_after=30.0)
MUX = FeedConfig(
    name="mux",
    url="ws://127.0.0.1:1/mux",
    stale_after=30.0,
    channel_key="ch",
    channels=("a", "b"),
)
MINUTE = 60.0
HOUR = 3600.0


class Restarted:
    """A new engine whose previous process last saw data at the given wall times."""

    def __init__(
        self,
        last_data: dict[tuple[str, str | None], float],
        restarted_at: float | None = None,
        feeds: tuple[FeedConfig, ...] = (FEED, MUX),
    ) -> None:
        self.clock = FakeClock(start=5000.0, wall_offset=1_700_000_000.0)
        self.engine = Engine(Config(feeds=feeds), clock=self.clock)
        self.events: list[Event] = []
        self.engine.bus.subscribe(self.events.append)
        self.engine.restore(last_data, restarted_at=restarted_at)
        for worker in self.engine.workers.values():
            worker.monitor.start()
            worker.monitor.on_connected(1, worker.display_url)

    @property
    def wall(self) -> float:
        return self.clock.time()

    def data(self, feed: str = "btc", channel: str | None = None) -> None:
        self.engine.worker(feed).monitor.on_data(10, channel, b"{}")

    def stale(self, feed: str = "btc") -> list[Event]:
        return [e for e in self.events if e.kind is EventKind.STALE and e.feed == feed]


def ago(seconds: float) -> float:
    """A wall time ``seconds`` before the fake clock's start."""
    return 1_700_000_000.0 + 5000.0 - seconds


def test_a_feed_silent_across_a_restart_is_stale_with_its_true_age() -> None:
    r = Restarted({("btc", None): ago(40 * MINUTE)})
    r.clock.advance(29.9)
    assert r.stale() == []  # the new process still gives it one stale_after to deliver
    r.clock.advance(0.1)
    (stale,) = r.stale()
    assert stale.age_seconds == pytest.approx(40 * MINUTE + 30)
    assert stale.fields["before_restart_seconds"] == pytest.approx(40 * MINUTE)
    assert stale.describe() == (
        "btc: stale: no data for 40m 30s, including 40m before restart (threshold 30s)"
    )
    assert stale.to_json()["before_restart_seconds"] == pytest.approx(2400.0)


def test_the_age_spanning_hours_reads_in_hours_and_minutes() -> None:
    r = Restarted({("btc", None): ago(3 * HOUR + 11.5 * MINUTE)}, restarted_at=ago(40 * MINUTE))
    r.clock.advance(30)
    (stale,) = r.stale()
    # 2h 32m elapsed before this process started; 40m more before it was restored.
    assert stale.fields["before_restart_seconds"] == pytest.approx(2 * HOUR + 31.5 * MINUTE)
    assert "no data for 3h 12m, including 2h 32m before restart" in stale.describe()


def test_a_healthy_feed_that_resumes_at_once_is_never_stale() -> None:
    r = Restarted({("btc", None): ago(8.0)})
    r.clock.advance(0.5)
    r.data()
    for _ in range(100):
        r.clock.advance(1.0)
        r.data()
    assert r.stale() == []
    feed = r.engine.feed_snapshot("btc")
    assert feed.state is State.LIVE
    # The gap across the restart measured feedwatch's downtime, not the feed's rhythm.
    assert feed.gaps.max == pytest.approx(1.0)


def test_snapshots_show_the_true_age_before_any_new_data() -> None:
    r = Restarted({("btc", None): ago(3 * HOUR)})
    r.clock.advance(5)
    feed = r.engine.feed_snapshot("btc")
    assert feed.last_data_age == pytest.approx(3 * HOUR + 5)
    assert feed.signal_age == pytest.approx(3 * HOUR + 5)
    assert feed.last_data_wall == pytest.approx(ago(3 * HOUR))
    assert feed.state is State.CONNECTING  # connected, no data on this connection yet
    assert feed_health(feed, lambda _, text: text)["last_signal_age_seconds"] == pytest.approx(
        3 * HOUR + 5
    )


def test_recovery_after_a_restart_reports_the_whole_gap() -> None:
    r = Restarted({("btc", None): ago(10 * MINUTE)})
    r.clock.advance(45)
    r.data()
    (recovered,) = [e for e in r.events if e.kind is EventKind.RECOVERED]
    assert recovered.age_seconds == pytest.approx(10 * MINUTE + 45)
    assert recovered.fields["outage_seconds"] == pytest.approx(15)


def test_a_feed_that_never_sent_data_counts_from_this_start() -> None:
    r = Restarted({})
    r.clock.advance(30)
    (stale,) = r.stale()
    assert stale.age_seconds == pytest.approx(30)
    assert "before_restart_seconds" not in stale.fields
    assert stale.describe() == "btc: stale: no data for 30.00s (threshold 30s)"


def test_a_silent_channel_carries_its_age_too() -> None:
    r = Restarted({("mux", None): ago(5), ("mux", "a"): ago(5), ("mux", "b"): ago(HOUR)})
    for _ in range(40):
        r.clock.advance(1.0)
        r.data("mux", "a")
    (stale,) = r.stale("mux")
    assert stale.channel == "b"
    assert stale.age_seconds == pytest.approx(HOUR + 30)
    assert stale.fields["before_restart_seconds"] == pytest.approx(HOUR)
    assert "mux/b: stale: no data for 1h, including 1h before restart" in stale.describe()
    channel = r.engine.feed_snapshot("mux").channels[1]
    assert channel.key == "b"
    assert channel.last_data_age == pytest.approx(HOUR + 40)


def test_a_channel_known_only_from_history_is_watched_again() -> None:
    r = Restarted({("mux", "c"): ago(HOUR)})
    keys = [c.key for c in r.engine.feed_snapshot("mux").channels]
    assert keys == ["a", "b", "c"]


def test_feeds_no_longer_configured_are_ignored() -> None:
    r = Restarted({("gone", None): ago(HOUR), ("btc", None): ago(60)}, feeds=(FEED,))
    assert list(r.engine.workers) == ["btc"]
    assert r.engine.feed_snapshot("btc").last_data_age == pytest.approx(60)


def test_data_stamped_after_now_counts_as_now() -> None:
    r = Restarted({("btc", None): ago(-120)})  # the wall clock stepped back
    assert r.engine.feed_snapshot("btc").last_data_age == pytest.approx(0)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (4.5, "4.5s"),
        (12.4, "12s"),
        (59.6, "1m"),
        (61, "1m 1s"),
        (40 * MINUTE, "40m"),
        (3 * HOUR + 12 * MINUTE, "3h 12m"),
        (HOUR - 0.4, "1h"),
        (2 * 86400 + 5 * HOUR, "2d 5h"),
    ],
)
def test_rough_durations_read_at_a_glance(seconds: float, text: str) -> None:
    assert rough_duration(seconds) == text


def test_a_restart_through_a_real_history_file(tmp_path: Path) -> None:
    store_module = pytest.importorskip("feedwatch.history.store")
    from feedwatch.history.uptime import uptime

    config = HistoryConfig(path=tmp_path / "history.db")
    # The first process watches a minute of data, then stops.
    first = FakeClock(start=1000.0, wall_offset=1_700_000_000.0)
    engine = Engine(Config(feeds=(FEED,)), clock=first)
    store = store_module.HistoryStore.open(config, now=first.time)
    store.attach(engine)
    monitor = engine.worker("btc").monitor
    monitor.start()
    monitor.on_connected(1, "ws://127.0.0.1:1/btc")
    for _ in range(60):
        first.advance(1.0)
        monitor.on_data(10, None, b"{}")
    last_data = first.time()
    first.advance(2.0)
    monitor.stop()
    store.close()

    # The next one starts 40 minutes later and is told where the data stopped.
    second = FakeClock(start=50.0, wall_offset=first.time() + 40 * MINUTE - 50.0)
    restarted = Engine(Config(feeds=(FEED,)), clock=second)
    events: list[Event] = []
    restarted.bus.subscribe(events.append)
    store = store_module.HistoryStore.open(config, now=second.time)
    try:
        carried = store.last_data()
        assert carried[("btc", None)] == pytest.approx(last_data)
        restarted.restore(carried)
        store.attach(restarted)
        monitor = restarted.worker("btc").monitor
        monitor.start()
        monitor.on_connected(1, "ws://127.0.0.1:1/btc")
        second.advance(30.0)
        (stale,) = [e for e in events if e.kind is EventKind.STALE]
        assert stale.age_seconds == pytest.approx(40 * MINUTE + 2 + 30)
        assert stale.fields["before_restart_seconds"] == pytest.approx(40 * MINUTE + 2)
        second.advance(10.0)
        store.flush()
        stored = [e for e in store.events(feed="btc") if e.kind is EventKind.STALE]
        assert stored[-1].describe() == stale.describe()
        # 62 s watched before, 40 s now. Not live: the first second before the first
        # data, and all of this run (30 s connecting without data, then 10 s stale). The
        # 40 minutes between the two processes are not counted either way.
        since = first.time() - 120
        result = uptime(store.events(), store.sessions(), "btc", since, second.time())
        assert result.monitored_seconds == pytest.approx(62 + 40, abs=0.01)
        assert result.not_live_seconds == pytest.approx(1 + 30 + 10, abs=0.01)
    finally:
        store.close()
