"""The demo line-up: what each simulated feed plays and how feedwatch should watch it.

Both halves live here so a behaviour and the config that watches it cannot drift apart.
"""

from __future__ import annotations

from dataclasses import replace

from feedwatch.config.model import (
    BackoffSpec,
    Config,
    FeedConfig,
    MatcherSpec,
    PingSpec,
    StormSpec,
)
from feedwatch.demo.behaviours import Sensor, Ticker
from feedwatch.demo.challenges import NeedsPing
from feedwatch.demo.hostile import Flapper
from feedwatch.demo.simulator import Simulator
from feedwatch.demo.tape import compact

MULTIPLEX_CHANNELS = ("btc", "eth", "sol")
TICKER_SUBSCRIBE = compact({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1})
MULTIPLEX_SUBSCRIBE = compact({"method": "SUBSCRIBE", "params": list(MULTIPLEX_CHANNELS), "id": 1})
APP_PING = '{"op":"ping"}'
APP_PONG = '{"op":"pong"}'

_ACKS = MatcherSpec(contains=('"result":null',))
_HEARTBEATS = MatcherSpec(contains=('"event":"heartbeat"',))


def demo_simulator(seed: int | None = None) -> Simulator:
    """The feeds a new user sees in `feedwatch demo`, one of each failure."""
    sim = Simulator(seed=seed)
    register_demo(sim)
    return sim


def register_demo(sim: Simulator) -> None:
    """Put one feed of each kind on the simulator, each failing in its own way over time.

    Timings are short so a first-time user sees every state within half a minute;
    stalls restart with each connection, so feedwatch's reconnect visibly cures them.
    """
    sim.add("/ticker", Ticker(rate=20.0, require_subscribe=True))
    sim.add("/iot", Sensor(every=4.0, jitter=0.5))
    sim.add("/staller", Ticker(rate=5.0, require_subscribe=False, stall_every=12.0, stall_for=30.0))
    sim.add(
        "/heartbeats",
        Ticker(
            rate=2.0,
            require_subscribe=False,
            heartbeat_every=1.0,
            stall_every=18.0,
            stall_for=30.0,
        ),
    )
    sim.add(
        "/multiplex",
        Ticker(
            rate=15.0,
            require_subscribe=True,
            channels=MULTIPLEX_CHANNELS,
            die_channel="sol",
            die_after=10.0,
            die_for=15.0,
        ),
    )
    sim.add("/needs-ping", NeedsPing(timeout=10.0, ping_text=APP_PING, pong_text=APP_PONG))
    sim.add("/flapper", Flapper(up_for=3.0, data_rate=5.0))


def demo_config(sim: Simulator) -> Config:
    """Watch the demo feeds with thresholds that show each state within a minute."""
    feeds = (
        FeedConfig(
            name="ticker",
            url=sim.url("/ticker"),
            stale_after=2.0,
            subscribe=(TICKER_SUBSCRIBE,),
            ignore=_ACKS,
        ),
        FeedConfig(name="iot-sensor", url=sim.url("/iot"), stale_after=15.0),
        FeedConfig(name="silent-staller", url=sim.url("/staller"), stale_after=5.0),
        FeedConfig(
            name="heartbeat-only",
            url=sim.url("/heartbeats"),
            stale_after=5.0,
            heartbeat=_HEARTBEATS,
        ),
        FeedConfig(
            name="multiplex",
            url=sim.url("/multiplex"),
            stale_after=3.0,
            subscribe=(MULTIPLEX_SUBSCRIBE,),
            ignore=_ACKS,
            channel_key="stream",
            channels=MULTIPLEX_CHANNELS,
        ),
        FeedConfig(
            name="needs-app-ping",
            url=sim.url("/needs-ping"),
            stale_after=5.0,
            ping=PingSpec(every=5.0, send=APP_PING),
            heartbeat=MatcherSpec(contains=('"op":"pong"',)),
        ),
        FeedConfig(
            name="flapper",
            url=sim.url("/flapper"),
            stale_after=5.0,
            backoff=BackoffSpec(initial=0.5, max=5.0, stable_after=10.0),
            storm=StormSpec(reconnects=3, window=60.0),
        ),
    )
    return Config(feeds=tuple(_with_template(feed) for feed in feeds))


def _with_template(feed: FeedConfig) -> FeedConfig:
    """Fill url_template as the loader would, so displays show the address."""
    return replace(feed, url_template=feed.url)
