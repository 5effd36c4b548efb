"""The liveness state machine on a fake clock: deadlines to the millisecond, no sleeping."""

from __future__ import annotations

from dataclasses import replace

import pytest

from feedwatch.config.model import FeedConfig, StormSpec
from feedwatch.engine.clock import FakeClock
from feedwatch.engine.events import Event, EventKind
from feedwatch.engine.liveness import FeedMonitor
from feedwatch.engine.verdict import State

FEED = FeedConfig(name="btc", url="ws://127.0.0.1:1/", stale_after=30.0)


class Harness:
    def __init__(self, config: FeedConfig = FEED, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.events: list[Event] = []
        self.reconnects: list[str] = []
        self.monitor = FeedMonitor(config, self.clock, self.events.append, self.reconnects.append)
        self.monitor.start()

    def connect(self) -> None:
        self.monitor.on_connected(1, "ws://x")

    def data(self, channel: str | None = None) -> None:
        self.monitor.on_data(10, channel, b"{}")

    def kinds(self) -> list[str]:
        """What happened, in order; the verdict's own ``state`` events are in ``verdicts``."""
        return [
            str(e.kind) + (f"/{e.channel}" if e.channel else "")
            for e in self.events
            if e.kind is not EventKind.STATE
        ]

    def verdicts(self) -> list[str]:
        return [str(e.fields["state"]) for e in self.events if e.kind is EventKind.STATE]

    def last(self, kind: EventKind) -> Event:
        return [e for e in self.events if e.kind is kind][-1]


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_stale_fires_exactly_at_the_deadline(h: Harness) -> None:
    h.connect()
    h.data()
    h.clock.advance(29.999)
    assert EventKind.STALE not in [e.kind for e in h.events]
    assert h.monitor.state is State.LIVE
    h.clock.advance(0.001)
    stale = h.last(EventKind.STALE)
    assert stale.age_seconds == pytest.approx(30.0)
    assert h.monitor.state is State.STALE


def test_each_data_message_moves_the_deadline(h: Harness) -> None:
    h.connect()
    h.data()
    h.clock.advance(20)
    h.data()
    h.clock.advance(29.9)
    assert h.monitor.state is State.LIVE
    h.clock.advance(0.1)
    assert h.monitor.state is State.STALE
    assert h.last(EventKind.STALE).age_seconds == pytest.approx(30.0)


def test_heartbeats_do_not_reset_data_clock(h: Harness) -> None:
    h.connect()
    h.data()
    for _ in range(40):
        h.clock.advance(1)
        h.monitor.on_heartbeat(5, b'{"event":"heartbeat"}')
    stale = h.last(EventKind.STALE)
    assert stale.age_seconds == pytest.approx(30.0)
    assert h.monitor.heartbeats == 40
    assert stale.fields["last_heartbeat_age_seconds"] == pytest.approx(1.0)


def test_stale_while_connected_asks_for_a_reconnect(h: Harness) -> None:
    h.connect()
    h.data()
    h.clock.advance(30)
    assert h.reconnects == ["stale: no data"]


def test_stale_without_reconnect_when_configured_not_to() -> None:
    h = Harness(replace(FEED, reconnect_on_stale=False))
    h.connect()
    h.data()
    h.clock.advance(100)
    assert h.kinds().count("stale") == 1
    assert h.reconnects == []


def test_recovered_reports_the_outage(h: Harness) -> None:
    h.connect()
    h.data()
    h.clock.advance(30)  # stale at 30 s after the last data
    h.clock.advance(12)
    h.data()
    recovered = h.last(EventKind.RECOVERED)
    assert recovered.age_seconds == pytest.approx(42.0)
    assert recovered.fields["outage_seconds"] == pytest.approx(12.0)
    assert h.monitor.state is State.LIVE


def test_data_age_keeps_counting_while_disconnected(h: Harness) -> None:
    h.connect()
    h.data()
    h.clock.advance(5)
    h.monitor.on_disconnected(1006, None, "connection lost")
    assert h.monitor.state is State.BACKOFF
    h.clock.advance(25)
    assert h.monitor.state is State.STALE
    assert h.last(EventKind.STALE).fields["connected"] is False
    assert h.reconnects == []  # nothing to drop: the worker is already reconnecting


def test_a_new_connection_in_an_outage_gets_one_window_to_deliver(h: Harness) -> None:
    h.connect()
    h.data()
    h.clock.advance(30)
    h.monitor.on_disconnected(None, None, "stale")
    h.clock.advance(2)
    h.connect()
    h.clock.advance(29.9)
    assert h.reconnects == ["stale: no data"]
    h.clock.advance(0.1)
    assert h.reconnects[-1] == "no data within 30s of connecting"
    assert h.kinds().count("stale") == 1  # one outage, one stale event


def test_feed_that_never_sends_goes_stale_counting_from_start(h: Harness) -> None:
    h.clock.advance(1)
    h.connect()
    h.clock.advance(29)
    assert h.monitor.state is State.STALE
    assert h.last(EventKind.STALE).age_seconds == pytest.approx(30.0)


def test_connected_but_no_data_yet_is_not_live(h: Harness) -> None:
    h.connect()
    assert h.monitor.state is State.CONNECTING
    h.data()
    assert h.monitor.state is State.LIVE


CHANNELS = replace(FEED, channel_key="stream", channels=("btc", "eth", "sol"), stale_after=10.0)


def test_a_channel_that_dies_while_others_flow_is_reported_alone() -> None:
    h = Harness(CHANNELS)
    h.connect()
    for _ in range(30):
        h.data("btc")
        h.data("eth")
        if h.clock.monotonic() < 1003:
            h.data("sol")
        h.clock.advance(0.5)
    stale = [e for e in h.events if e.kind is EventKind.STALE]
    assert [e.channel for e in stale] == ["sol"]
    assert h.reconnects == []  # a dead channel does not reconnect by default
    # The feed's own data flows, so it is not stale; one channel is, so it is partial.
    assert h.monitor.verdict is State.PARTIAL
    assert h.verdicts() == ["live", "partial"]
    [partial] = [e for e in h.events if e.kind is EventKind.STATE][-1:]
    assert partial.reason == "2 of 3 channels live; stale: sol"
    states = {k: h.monitor.channel_state(w) for k, w in h.monitor.channels.items()}
    assert states == {"btc": State.LIVE, "eth": State.LIVE, "sol": State.STALE}


def test_a_partial_feed_is_live_again_when_its_channel_returns() -> None:
    h = Harness(CHANNELS)
    h.connect()
    for step in range(80):
        h.data("btc")
        h.data("eth")
        if not 6 <= step < 40:  # 17 s without sol, against 10 s
            h.data("sol")
        h.clock.advance(0.5)
    assert h.verdicts() == ["live", "partial", "live"]
    assert h.monitor.verdict is State.LIVE


def test_a_dead_channel_can_be_set_to_reconnect() -> None:
    h = Harness(replace(CHANNELS, reconnect_on_channel_stale=True))
    h.connect()
    for _ in range(30):
        h.data("btc")
        h.clock.advance(0.5)
    assert "stale channel eth" in h.reconnects


def test_a_feed_wide_stall_is_one_feed_event_not_one_per_channel() -> None:
    h = Harness(CHANNELS)
    h.connect()
    for ch in ("btc", "eth", "sol"):
        h.data(ch)
        h.clock.advance(0.01)
    h.clock.advance(20)
    stale = [e for e in h.events if e.kind is EventKind.STALE]
    assert [e.channel for e in stale] == [None]


def test_an_expected_channel_that_never_arrives_goes_stale() -> None:
    h = Harness(CHANNELS)
    h.connect()
    for _ in range(30):
        h.data("btc")
        h.clock.advance(0.5)
    stale_channels = sorted(e.channel or "" for e in h.events if e.kind is EventKind.STALE)
    assert stale_channels == ["eth", "sol"]


def test_channels_beyond_the_limit_are_counted_but_not_tracked() -> None:
    h = Harness(replace(FEED, channel_key="s", max_channels=3))
    h.connect()
    for i in range(10):
        h.data(f"c{i}")
    assert len(h.monitor.channels) == 3
    assert h.monitor.dropped_channels == 7
    assert h.monitor.watch.messages == 10
    assert h.kinds().count("error/c3") == 1


def test_lowering_the_threshold_rearms_at_once(h: Harness) -> None:
    h.connect()
    h.data()
    h.clock.advance(10)
    h.monitor.set_stale_after(5.0)
    h.clock.advance(0)  # due immediately: already 10 s without data
    assert h.monitor.state is State.STALE
    change = h.last(EventKind.THRESHOLD_CHANGED)
    assert (change.fields["old_seconds"], change.fields["new_seconds"]) == (30.0, 5.0)


def test_raising_the_threshold_postpones_the_deadline(h: Harness) -> None:
    h.connect()
    h.data()
    h.clock.advance(20)
    h.monitor.set_stale_after(60.0)
    h.clock.advance(39.9)
    assert h.monitor.state is State.LIVE
    h.clock.advance(0.1)
    assert h.monitor.state is State.STALE


def test_a_threshold_must_be_positive(h: Harness) -> None:
    with pytest.raises(ValueError, match="positive"):
        h.monitor.set_stale_after(0)


def test_storm_starts_above_the_limit_and_clears_after_a_quiet_window() -> None:
    h = Harness(replace(FEED, storm=StormSpec(reconnects=3, window=60)))
    for _ in range(3):
        h.monitor.on_reconnect_attempt()
        h.clock.advance(5)
    assert "storm" not in h.kinds()
    h.monitor.on_reconnect_attempt()
    storm = h.last(EventKind.STORM)
    assert storm.fields["active"] is True
    assert storm.fields["reconnects"] == 4
    assert h.monitor.storm.active
    h.clock.advance(59.9)
    assert h.monitor.storm.active
    h.clock.advance(0.1)
    assert not h.monitor.storm.active
    assert h.last(EventKind.STORM).fields["active"] is False


def test_forced_reconnects_do_not_count_towards_a_storm() -> None:
    h = Harness(replace(FEED, storm=StormSpec(reconnects=1, window=60)))
    for _ in range(5):
        h.monitor.on_reconnect_attempt(count_for_storm=False)
    assert not h.monitor.storm.active
    assert h.monitor.reconnects == 5


def test_a_paused_feed_never_goes_stale_and_resumes_with_a_fresh_window(h: Harness) -> None:
    h.connect()
    h.data()
    h.monitor.on_paused()
    h.clock.advance(100)
    assert h.monitor.state is State.PAUSED
    assert "stale" not in h.kinds()
    h.monitor.on_resumed()
    h.connect()
    h.clock.advance(29)
    assert "stale" not in h.kinds()
    h.clock.advance(1)
    assert h.kinds().count("stale") == 1


def test_a_monitor_can_be_built_before_any_event_loop_runs() -> None:
    from feedwatch.engine.clock import LoopClock

    # The CLI builds the engine before the dashboard's loop starts.
    monitor = FeedMonitor(CHANNELS, LoopClock(), lambda e: None, lambda r: None)
    assert set(monitor.channels) == {"btc", "eth", "sol"}


def test_reported_ages_per_channel_set_each_clock_and_the_feed_follows_the_newest() -> None:
    h = Harness(replace(FEED, stale_after=10.0))
    h.connect()
    start = h.clock.monotonic()
    # One answer of two rows: btc's newest row is 1 s old, eth's 6 s (in that order, then
    # the other): the feed's clock is btc's, never moved back by the older row.
    for rows in ([("btc", 1.0), ("eth", 6.0)], [("eth", 6.0), ("btc", 1.0)]):
        for channel, age in rows:
            h.monitor.on_data_at(age, 10, channel, b"{}")
        channels = h.monitor.channels
        assert h.monitor.watch.last_data == start - 1.0
        assert (channels["btc"].last_data, channels["eth"].last_data) == (start - 1, start - 6)
    for _ in range(22):  # past the session's first-data allowance, both fresh
        h.clock.advance(0.5)
        h.monitor.on_data_at(1.0, 10, "btc", b"{}")
        h.monitor.on_data_at(1.0, 10, "eth", b"{}")
    frozen = h.clock.monotonic() - 1.0  # eth's newest row stops here
    for _ in range(24):
        h.clock.advance(0.5)
        h.monitor.on_data_at(0.0, 10, "btc", b"{}")
        h.monitor.on_data_at(h.clock.monotonic() - frozen, 10, "eth", b"{}")
    stale = h.last(EventKind.STALE)
    assert (stale.channel, h.monitor.verdict) == ("eth", State.PARTIAL)
    # At its own deadline (the frozen row + stale_after), not a poll or a threshold later.
    assert h.monitor.channels["eth"].stale_at == pytest.approx(frozen + 10.0)
