"""A scripted engine on a fake clock: every state the dashboard must show, no network.

Snapshot and key tests build the app from this through the same factory as the CLI
(``app_for``, ``scripted_app``), so what they see is deterministic: fixed clock, fixed
events, nothing random, and time moves only when a test advances the clock.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from feedwatch.config.model import (
    BackoffSpec,
    Config,
    FeedConfig,
    MatcherSpec,
    ScheduleWindow,
    StormSpec,
)
from feedwatch.config.schedule_reader import parse_clock, parse_days
from feedwatch.engine.clock import FakeClock
from feedwatch.engine.engine import Engine
from feedwatch.tui.app import FeedwatchApp
from feedwatch.tui.factory import build_app

# 2023-11-14 22:13:20 UTC plus the fake clock's start: a fixed wall time.
WALL_OFFSET = 1_700_000_000.0


def _feed(name: str, stale_after: float, **changes: object) -> FeedConfig:
    base = FeedConfig(
        name=name,
        url=f"wss://example.invalid/{name}",
        stale_after=stale_after,
        backoff=BackoffSpec(initial=1, max=30, stable_after=30),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


FEEDS = (
    _feed("binance-btcusdt", 5.0, heartbeat=MatcherSpec(contains=("heartbeat",))),
    _feed("coinbase-eth", 30.0),
    _feed("okx-multiplex", 3.0, channel_key="arg.channel", channels=("btc", "eth", "sol")),
    _feed("kraken-book", 10.0),
    _feed("bybit-linear", 300.0, storm=StormSpec(reconnects=3, window=600)),
    _feed("greenhouse-iot", 600.0),
    _feed("deribit-perp", 120.0),
)


def scripted_engine() -> tuple[Engine, FakeClock]:
    """An engine whose feeds show live, stale, reconnecting, storm, paused and connecting."""
    clock = FakeClock(start=1000.0, wall_offset=WALL_OFFSET)
    engine = Engine(Config(feeds=FEEDS), clock=clock, rng=random.Random(7))
    mon = {name: engine.worker(name).monitor for name in engine.workers}
    for monitor in mon.values():
        monitor.start()
    for name in ("binance-btcusdt", "coinbase-eth", "okx-multiplex", "kraken-book"):
        mon[name].on_connected(1, f"wss://example.invalid/{name}")
    mon["greenhouse-iot"].on_connected(0, "wss://example.invalid/greenhouse-iot")
    rng = random.Random(3)
    # 60 seconds of traffic in 50 ms steps.
    for step in range(1200):
        t = step * 0.05
        clock.advance(0.05)
        if rng.random() < 0.8:
            mon["binance-btcusdt"].on_data(120, None, b'{"e":"trade","p":"97312.4"}')
        if step % 20 == 0:
            mon["binance-btcusdt"].on_heartbeat(20, b'{"event":"heartbeat"}')
        if t < 15 and step % 3 == 0:
            mon["coinbase-eth"].on_data(200, None, b'{"type":"ticker","price":"3120.5"}')
        for channel in ("btc", "eth", "sol"):
            if channel == "sol" and t > 50:
                continue
            if rng.random() < 0.5:
                mon["okx-multiplex"].on_data(
                    90, channel, b'{"arg":{"channel":"%s"}}' % channel.encode()
                )
        if step % 2 == 0:
            mon["kraken-book"].on_data(300, None, b'{"book":[]}')
        if step == 1100:
            mon["kraken-book"].on_disconnected(1006, None, "connection lost without a close frame")
            mon["kraken-book"].on_backoff(4.2, 3, "connection lost without a close frame")
        if step in (200, 400, 600, 800):
            mon["bybit-linear"].on_reconnect_attempt()
            mon["bybit-linear"].on_error("HTTP 503 Service Unavailable", kind="http_status",
                                         status=503)  # fmt: skip
        if step % 100 == 0:
            mon["greenhouse-iot"].on_data(60, None, b'{"t":21.5,"rh":0.61}')
    mon["deribit-perp"].on_connecting()
    engine.worker("greenhouse-iot").pause()
    return engine, clock


def _window(days: str, start: str, end: str, **changes: object) -> ScheduleWindow:
    window = ScheduleWindow(
        parse_days(days),
        parse_clock(start),
        parse_clock(end),
        "UTC",
        label=f"{days} {start}-{end} UTC",
    )
    return replace(window, **changes)  # type: ignore[arg-type]


# The fake wall clock reads Tuesday 22:30 UTC: after the close, inside the FX rollover.
QUIET_FEEDS = (
    _feed("binance-btcusdt", 5.0),
    _feed(
        "nyse-quotes",
        5.0,
        schedule=(_window("mon-fri", "14:30", "21:00", stale_after=5.0),),
        quiet_outside=True,
    ),
    _feed(
        "fx-eurusd",
        10.0,
        channel_key="pair",
        channels=("eurusd", "usdjpy"),
        schedule=(_window("daily", "22:00", "23:00", quiet=True),),
    ),
    _feed("kraken-book", 10.0),
)


def quiet_engine() -> tuple[Engine, FakeClock]:
    """Two feeds in quiet hours (one silent for a while, one flowing) beside live and stale."""
    clock = FakeClock(start=1000.0, wall_offset=WALL_OFFSET)
    engine = Engine(Config(feeds=QUIET_FEEDS), clock=clock, rng=random.Random(7))
    mon = {name: engine.worker(name).monitor for name in engine.workers}
    for name, monitor in mon.items():
        monitor.start()
        monitor.on_connected(1, f"wss://example.invalid/{name}")
    for step in range(600):  # 60 seconds in 100 ms steps
        clock.advance(0.1)
        mon["binance-btcusdt"].on_data(120, None, b'{"e":"trade"}')
        if step < 100:
            mon["nyse-quotes"].on_data(80, None, b'{"q":"AAPL"}')
        if step % 5 == 0:
            mon["fx-eurusd"].on_data(70, "eurusd", b'{"pair":"eurusd"}')
        if step % 3 == 0 and step < 300:
            mon["kraken-book"].on_data(300, None, b'{"book":[]}')
    return engine, clock


def app_for(engine: Engine, feeds: tuple[FeedConfig, ...], history: Any = None) -> FeedwatchApp:
    """The app the CLI would build, over a scripted engine that is not started."""
    return build_app(
        Config(feeds=feeds),
        engine=engine,
        start_engine=False,
        source="config: /home/trader/.config/feedwatch/config.toml",
        history=history,
    )


def scripted_app() -> FeedwatchApp:
    """The dashboard over ``scripted_engine``; its clock is ``app.view.clock``."""
    engine, _ = scripted_engine()
    return app_for(engine, FEEDS)
