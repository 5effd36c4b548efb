"""Content signals against the real simulator: old, gappy, frozen and announced-closing feeds."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator

import pytest

from feedwatch.config.model import MatcherSpec
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.events import EventKind
from feedwatch.headless import JsonLines
from tests.live import Running, feed
from tests.rigs.degraded import Degraded

SHUTDOWN = MatcherSpec(contains=('"e":"serverShutdown"',))


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(seed=5)
    simulator.add("/lagging", Degraded(rate=50, lag=1.0))
    simulator.add("/gappy", Degraded(rate=50, skip_every=10, skip=5))
    simulator.add("/frozen", Degraded(rate=50, freeze=True))
    simulator.add("/shutdown", Degraded(rate=50, shutdown_after=0.3))
    await simulator.start()
    yield simulator
    await simulator.stop()


async def test_old_data_makes_a_flowing_feed_lagging(sim: Simulator) -> None:
    lagging = feed("lag", sim.url("/lagging"), stale_after=2.0, event_time="E", max_lag=0.5)
    async with Running(lagging) as run:
        event = await run.rec.wait_kind(EventKind.LAGGING)
        assert event.fields["active"] is True
        assert event.fields["lag_seconds"] == pytest.approx(1.0, abs=0.25)
        assert run.state("lag") == "lagging"
        snap = run.engine.feed_snapshot("lag")
        assert snap.lag_p50 == pytest.approx(1.0, abs=0.25)


async def test_skipped_sequence_numbers_are_counted_as_lost(sim: Simulator) -> None:
    async with Running(feed("gappy", sim.url("/gappy"), stale_after=2.0, sequence="u")) as run:
        gap = await run.rec.wait_kind(EventKind.GAP)
        assert (gap.fields["missed"], gap.fields["expected"], gap.fields["got"]) == (5, 10, 15)
        assert run.state("gappy") == "live"
        assert run.engine.feed_snapshot("gappy").missed_messages >= 5


async def test_a_price_that_stops_moving_is_frozen(sim: Simulator) -> None:
    frozen = feed("frozen", sim.url("/frozen"), stale_after=2.0, value="c", frozen_after=0.3)
    async with Running(frozen) as run:
        event = await run.rec.wait_kind(EventKind.FROZEN)
        assert event.fields["active"] is True
        assert run.state("frozen") == "frozen"


async def test_an_announced_shutdown_reconnects_at_once_without_a_storm(sim: Simulator) -> None:
    planned = feed("planned", sim.url("/shutdown"), stale_after=2.0, planned_close=SHUTDOWN)
    async with Running(planned) as run:
        notice = await run.rec.wait_kind(EventKind.PLANNED_CLOSE)
        assert notice.reason is not None and "serverShutdown" in notice.reason
        again = await run.rec.wait(
            lambda e: e.kind is EventKind.CONNECTED and e.seq > notice.seq, timeout=1.0
        )
        assert again.ts - notice.ts < 0.2  # no backoff
        retry = next(e for e in run.rec.of(EventKind.RECONNECTING) if e.seq > notice.seq)
        assert retry.fields["delay_seconds"] == 0.0
        dropped = next(e for e in run.rec.of(EventKind.DISCONNECTED) if e.seq > notice.seq)
        assert dropped.fields.get("planned") is True
        assert run.engine.feed_snapshot("planned").storm_reconnects == 0


async def test_headless_json_lines_carry_the_content_event_names(sim: Simulator) -> None:
    feeds = (
        feed("lag", sim.url("/lagging"), stale_after=2.0, event_time="E", max_lag=0.5),
        feed("gappy", sim.url("/gappy"), stale_after=2.0, sequence="u"),
        feed("frozen", sim.url("/frozen"), stale_after=2.0, value="c", frozen_after=0.3),
        feed("planned", sim.url("/shutdown"), stale_after=2.0, planned_close=SHUTDOWN),
    )
    out = io.StringIO()
    async with Running(*feeds) as run:
        run.engine.bus.subscribe(JsonLines(out))
        for kind in (EventKind.LAGGING, EventKind.GAP, EventKind.FROZEN, EventKind.PLANNED_CLOSE):
            await run.rec.wait_kind(kind)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    names = {line["event"] for line in lines}
    assert {"lagging", "gap", "frozen", "planned_close"} <= names
    gap = next(line for line in lines if line["event"] == "gap")
    assert gap["missed"] == 5
