"""Which alerts go out, and when: the router on a fake clock, fed by real feed monitors.

Bell channels record what they would ring; each delivery is also an `alert` event, which
is what a user sees in the log and in headless JSON lines.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from feedwatch.alerts.alert import Alert
from feedwatch.alerts.router import AlertRouter
from feedwatch.config.model import AlertChannel, Config, FeedConfig, StormSpec
from feedwatch.engine.clock import FakeClock
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind
from feedwatch.engine.liveness import FeedMonitor

BELL = AlertChannel(type="bell", name="bell")


def feed(name: str, stale_after: float = 10.0, **changes: object) -> FeedConfig:
    base = FeedConfig(name=name, url=f"ws://127.0.0.1:1/{name}", stale_after=stale_after)
    return replace(base, **changes)  # type: ignore[arg-type]


class Scene:
    """An engine on a fake clock with an alert router attached and every feed connected."""

    def __init__(self, *feeds: FeedConfig, channels: tuple[AlertChannel, ...] = (BELL,)) -> None:
        self.clock = FakeClock()
        self.engine = Engine(Config(feeds=feeds, alerts=channels), clock=self.clock)
        self.rung: list[Alert] = []
        self.router = AlertRouter(self.engine, bell=self.rung.append)
        self.events: list[Event] = []
        self.engine.bus.subscribe(self.events.append)
        for worker in self.engine.workers.values():
            worker.monitor.start()
            worker.monitor.on_connected(1, "ws://x")

    async def __aenter__(self) -> Scene:
        await self.router.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.router.stop()

    def monitor(self, name: str) -> FeedMonitor:
        return self.engine.worker(name).monitor

    def data(self, name: str, channel: str | None = None) -> None:
        self.monitor(name).on_data(10, channel, b"{}")

    def emit(self, name: str, kind: EventKind, **fields: object) -> None:
        self.engine.bus.emit(Event(self.clock.time(), name, kind, fields=dict(fields)))

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await self.router.flush()

    def said(self) -> list[str]:
        """What the bell said, as 'feed[/channel] condition' (recoveries name what ended)."""
        out = []
        for a in self.rung:
            where = a.feed if a.channel is None else f"{a.feed}/{a.channel}"
            what = f"recovered({a.recovered_from})" if a.recovered_from else a.condition
            out.append(f"{where} {what}" + (" reminder" if a.reminder else ""))
        return out

    def deliveries(self, alert_channel: str) -> list[str]:
        """The `alert` events for one alert channel, as 'feed condition'."""
        return [
            f"{e.feed} {e.fields['condition']}"
            for e in self.events
            if e.kind is EventKind.ALERT and e.fields["alert_channel"] == alert_channel
        ]


async def test_a_stale_feed_alerts_once_and_recovers_once() -> None:
    async with Scene(feed("btc")) as s:
        s.data("btc")
        await s.advance(10)
        s.emit("btc", EventKind.STALE)  # the same condition again is not a new change
        await s.advance(5)
        assert s.said() == ["btc stale"]
        stale = s.rung[0]
        assert stale.state == "stale"
        assert stale.last_signal_age_seconds == 10.0
        assert stale.message == "btc is stale: no data for 10s (threshold 10s)"
        s.data("btc")
        await s.router.flush()
        assert s.said() == ["btc stale", "btc recovered(stale)"]
        assert s.rung[1].message == "btc recovered: data flowing again after 5s stale"
        assert s.rung[1].condition == "recovered"
        event = next(e for e in s.events if e.kind is EventKind.ALERT)
        assert event.fields == {
            "alert_channel": "bell",
            "alert_type": "bell",
            "condition": "stale",
            "outcome": "sent",
            "attempts": 1,
        }
        assert s.engine.alert_outcomes[("bell", "sent")] == 2


async def test_a_short_stall_inside_grace_sends_nothing() -> None:
    async with Scene(feed("btc", grace=5.0)) as s:
        s.data("btc")
        await s.advance(10 + 4.9)  # stale for 4.9s of a 5s grace
        s.data("btc")
        await s.advance(9)
        assert s.said() == []
        s.data("btc")
        await s.advance(10 + 4.9)
        assert s.said() == []
        await s.advance(0.2)  # still stale when grace ends
        assert s.said() == ["btc stale"]
        assert s.rung[0].last_signal_age_seconds == pytest.approx(15.0)
        s.data("btc")
        await s.router.flush()
        assert s.said() == ["btc stale", "btc recovered(stale)"]


async def test_reminders_repeat_while_stale_and_stop_at_recovery() -> None:
    channel = replace(BELL, repeat=60.0)
    async with Scene(feed("btc"), channels=(channel,)) as s:
        s.data("btc")
        await s.advance(10)
        await s.advance(59)
        assert s.said() == ["btc stale"]
        await s.advance(1)
        await s.advance(60)
        assert s.said() == ["btc stale", "btc stale reminder", "btc stale reminder"]
        assert s.rung[-1].message == "Reminder: btc still stale after 2m"
        for _ in range(60):  # five minutes of data: no reminder is left armed
            s.data("btc")
            await s.advance(5)
        assert s.said()[3:] == ["btc recovered(stale)"]


async def test_a_flapping_feed_is_summarised_by_its_storm() -> None:
    flappy = feed("flappy", storm=StormSpec(reconnects=2, window=60.0))
    async with Scene(flappy) as s:
        m = s.monitor("flappy")
        s.data("flappy")
        await s.advance(10)  # stale: this one is said
        for _ in range(3):  # three reconnects within the window: a storm
            m.on_reconnect_attempt()
            m.on_connected(1, "ws://x")
        await s.router.flush()
        for _ in range(4):  # it flaps: every outage would be two alerts
            s.data("flappy")
            await s.advance(10)
        for _ in range(12):  # no reconnect for a whole window: the storm is over
            s.data("flappy")
            await s.advance(5)
        assert s.said() == ["flappy stale", "flappy storm", "flappy recovered(storm)"]
        # The flapping was counted, not sent.
        assert s.engine.alert_outcomes[("bell", "suppressed")] > 0


async def test_what_a_storm_held_back_is_said_when_the_storm_ends() -> None:
    flappy = feed("flappy", storm=StormSpec(reconnects=2, window=60.0))
    async with Scene(flappy) as s:
        m = s.monitor("flappy")
        s.data("flappy")
        for _ in range(3):
            m.on_reconnect_attempt()
        await s.advance(10)  # goes stale during the storm: held back
        assert s.said() == ["flappy storm"]
        await s.advance(60)  # the storm ends while the feed is still stale
        assert s.said() == ["flappy storm", "flappy recovered(storm)", "flappy stale"]


async def test_feeds_globs_and_on_filters_choose_the_channels() -> None:
    channels = (
        AlertChannel(type="bell", name="exchanges", feeds=("binance-*",), on=frozenset({"stale"})),
        AlertChannel(type="bell", name="everything"),
    )
    async with Scene(feed("binance-btc"), feed("iot"), channels=channels) as s:
        s.data("binance-btc")
        s.data("iot")
        await s.advance(10)
        s.data("binance-btc")
        s.data("iot")
        await s.router.flush()
        assert s.deliveries("exchanges") == ["binance-btc stale"]
        assert sorted(s.deliveries("everything")) == [
            "binance-btc recovered",
            "binance-btc stale",
            "iot recovered",
            "iot stale",
        ]


async def test_down_and_silence_alert_and_recover_when_they_end() -> None:
    async with Scene(feed("btc", stale_after=1000)) as s:
        s.emit("btc", EventKind.DOWN, active=True)
        s.emit("btc", EventKind.SILENCE, active=True)
        await s.advance(30)
        s.emit("btc", EventKind.DOWN, active=False)
        s.emit("btc", EventKind.SILENCE, active=False)
        await s.router.flush()
        assert s.said() == [
            "btc down",
            "btc silence",
            "btc recovered(down)",
            "btc recovered(silence)",
        ]
        assert s.rung[2].message == "btc is up again after 30s down"
        assert s.rung[3].message == "btc: silence over after 30s"


async def test_a_stale_channel_alerts_with_its_channel() -> None:
    mux = feed("mux", channel_key="c", channels=("x", "y"), channel_stale_after=5.0)
    async with Scene(mux) as s:
        for _ in range(6):  # x keeps flowing; y never sends
            s.data("mux", "x")
            await s.advance(1)
        assert s.said() == ["mux/y stale"]
        assert s.rung[0].channel == "y"
        assert s.rung[0].message.startswith("mux/y is stale")
        s.data("mux", "y")
        await s.router.flush()
        assert s.said() == ["mux/y stale", "mux/y recovered(stale)"]
        event = [e for e in s.events if e.kind is EventKind.ALERT][-1]
        assert (event.feed, event.channel, event.fields["condition"]) == ("mux", "y", "recovered")


async def test_recoveries_go_only_where_on_includes_recovered() -> None:
    quiet = AlertChannel(type="bell", name="pager", on=frozenset({"stale", "down"}))
    async with Scene(feed("btc"), channels=(quiet,)) as s:
        s.data("btc")
        await s.advance(10)
        s.data("btc")
        await s.router.flush()
        assert s.said() == ["btc stale"]


async def test_pausing_a_stale_feed_ends_its_alerts_quietly() -> None:
    channel = replace(BELL, repeat=30.0)
    async with Scene(feed("btc"), channels=(channel,)) as s:
        s.data("btc")
        await s.advance(10)
        s.engine.pause("btc")
        await s.advance(300)
        assert s.said() == ["btc stale"]


async def test_quiet_hours_end_a_condition_without_reminders_or_recovery() -> None:
    channel = replace(BELL, repeat=30.0)
    async with Scene(feed("btc", stale_after=1000), channels=(channel,)) as s:
        s.emit("btc", EventKind.DOWN, active=True)
        await s.advance(1)
        s.emit("btc", EventKind.SCHEDULE, quiet=True)  # down ends upstream without an event
        await s.advance(300)
        assert s.said() == ["btc down"]
        s.emit("btc", EventKind.SCHEDULE, quiet=False)
        s.emit("btc", EventKind.DOWN, active=True)  # still failing after quiet: a new change
        await s.advance(1)
        assert s.said() == ["btc down", "btc down"]


async def test_a_full_outbox_drops_the_oldest_and_says_so() -> None:
    feeds = [feed(name) for name in ("a", "b", "c")]
    scene = Scene(*feeds)
    scene.router = AlertRouter(scene.engine, bell=scene.rung.append, outbox_limit=2)
    async with scene as s:
        for name in ("a", "b", "c"):
            s.data(name)
        s.clock.advance(10)  # three alerts queued before the channel gets a turn
        await s.router.flush()
        assert s.said() == ["b stale", "c stale"]
        dropped = [e for e in s.events if e.fields.get("outcome") == "dropped"]
        assert [(e.feed, e.fields["condition"]) for e in dropped] == [("a", "stale")]
        assert s.engine.alert_outcomes[("bell", "dropped")] == 1
