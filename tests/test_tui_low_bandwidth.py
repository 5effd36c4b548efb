"""Low-bandwidth mode on the scripted engine: what moves on screen, and what stands still."""

from __future__ import annotations

from feedwatch.config.model import Config
from feedwatch.engine.clock import FakeClock
from feedwatch.tui.app import STILL_SPARKLINES_EVERY
from feedwatch.tui.factory import build_app
from tests.tui_scenario import FEEDS, scripted_engine

FEED = "binance-btcusdt"


async def test_low_bandwidth_sparklines_stand_still_while_ages_tick() -> None:
    engine, clock = scripted_engine()
    app = build_app(Config(feeds=FEEDS), engine=engine, start_engine=False, low_bandwidth=True)
    assert isinstance(clock, FakeClock)
    assert app.screen_diff.ascii_only
    monitor = engine.worker(FEED).monitor
    async with app.run_test(size=(200, 30)) as pilot:
        await pilot.pause()
        row = app.table.row_keys.index(FEED)
        spark, age = app.table.cell_text(row, "spark"), app.table.cell_text(row, "age")
        for _ in range(10):  # ten long gaps: a sparkline that moved would show them
            clock.advance(2.0)
            monitor.on_data(120, None, b'{"e":"trade"}')
        clock.advance(1.0)
        app.tick()
        assert app.table.cell_text(row, "age") != age
        assert app.table.cell_text(row, "spark") == spark
        clock.advance(STILL_SPARKLINES_EVERY)
        app.tick()
        assert app.table.cell_text(row, "spark") != spark
