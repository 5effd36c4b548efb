"""Uptime end to end: a real flapping server, the real engine, a real history file, and
the server's own log of when it was delivering data as the judge."""

from __future__ import annotations

import asyncio
import io
import itertools
import time
from pathlib import Path

import pytest

from feedwatch.config.model import Config, HistoryConfig
from feedwatch.demo.behaviours import recorder
from feedwatch.demo.session import Behaviour, Listener, Session
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import EventKind
from feedwatch.history import cli_reports
from feedwatch.history.store import HistoryStore
from feedwatch.history.uptime import merge_sessions, uptime
from feedwatch.tui.history_view import HistoryView
from feedwatch.tui.widgets.cells import format_uptime
from tests.live import feed

UP_FOR = 2.0  # seconds of data per connection
DOWN_FOR = 1.5  # then it hangs up and refuses every handshake (HTTP 503) this long
RUN_FOR = 16.0  # about four and a half flaps


class LoggedFlapper(Behaviour):
    """The demo's flapper with a gap: streams trades for ``up_for`` s, hangs up, refuses
    handshakes for ``down_for`` s; ``delivering`` is its own log of when it sent data
    (wall time from the first trade to the hang-up, or to the client leaving)."""

    def __init__(self, up_for: float, down_for: float, rate: float) -> None:
        self.up_for = up_for
        self.down_for = down_for
        self.rate = rate
        self.delivering: list[tuple[float, float]] = []

    def start(self, session: Session) -> Listener:
        session.spawn(self._serve(session))
        return recorder(session)

    async def _serve(self, session: Session) -> None:
        loop = asyncio.get_running_loop()
        hang_up = loop.time() + self.up_for
        first_sent: float | None = None
        try:
            for n in itertools.count():
                if loop.time() >= hang_up:
                    break
                await session.send(f'{{"trade":{n}}}', data=True)
                first_sent = first_sent or time.time()
                await asyncio.sleep(min(1 / self.rate, max(0.0, hang_up - loop.time())))
        finally:  # hung up, or the client left (feedwatch stopping)
            if first_sent is not None:
                self.delivering.append((first_sent, time.time()))
        control = session.control
        control.reject_status = 503
        loop.call_later(self.down_for, setattr, control, "reject_status", None)
        session.end(1011, "upstream reset")


def share_of(intervals: list[tuple[float, float]], since: float, until: float) -> float:
    """The percentage of [since, until] the intervals cover."""
    covered = sum(
        max(0.0, min(end, until) - max(start, since)) for start, end in merge_sessions(intervals)
    )
    return 100.0 * covered / (until - since)


async def test_a_flapping_feed_is_up_for_the_share_of_time_its_server_delivered(
    tmp_path: Path,
) -> None:
    server = LoggedFlapper(UP_FOR, DOWN_FOR, rate=50)
    history = HistoryConfig(path=tmp_path / "history.db")
    async with Simulator(seed=5) as sim:
        sim.add("/flapper", server)
        # Like the demo's flapper: stale_after outlasts the gap, so it is never stale,
        # only in backoff and connecting (time the older reading counted as up).
        flapper = feed("flapper", sim.url("/flapper"), stale_after=4.0)
        engine = Engine(Config(feeds=(flapper,)))
        store = HistoryStore.open(history)
        store.attach(engine)
        await engine.start()
        try:
            await asyncio.sleep(RUN_FOR)
        finally:
            await engine.stop()
            store.close()

    reader = HistoryStore.open(history, record=False)
    try:
        ((start, end),) = reader.sessions()
        events = reader.events(feed="flapper")
        computed = uptime(events, reader.sessions(), "flapper", start, end).percent
        served = share_of(server.delivering, start, end)
        assert computed is not None
        # The measured figures, for whoever runs this with -s.
        print(f"\nserver delivered {served:.2f}% of {end - start:.1f}s; uptime {computed:.2f}%")
        assert len(server.delivering) >= 4  # it did flap
        assert computed == pytest.approx(served, abs=3.0)
        assert computed < 75.0  # nowhere near 100 %
        # What the older reading (conditions only, no verdicts) made of the same run.
        conditions = [e for e in events if e.kind is not EventKind.STATE]
        assert uptime(conditions, reader.sessions(), "flapper", start, end).percent == 100.0

        # `feedwatch uptime` prints the same figure, and the dashboard's Up 24h cell too.
        out = io.StringIO()
        window = time.time() - start + 1.0
        cli_reports.run("uptime", history, since_seconds=window, feeds=["flapper"], out=out)
        row = out.getvalue().splitlines()[1].split()
        assert row[0] == "flapper"
        assert float(row[1].rstrip("%")) == pytest.approx(computed, abs=0.01)
        view = HistoryView(reader, time.time)
        view.refresh()
        cell = format_uptime(view.day_uptimes(["flapper"])["flapper"])
        assert cell == format_uptime(computed)
    finally:
        reader.close()


def test_the_servers_share_counts_overlapping_deliveries_once_within_the_window() -> None:
    # The judge's own arithmetic, checked on its own.
    delivering = [(10.0, 12.0), (11.0, 13.0), (20.0, 30.0)]
    assert share_of(delivering, 0.0, 25.0) == pytest.approx(100 * (3 + 5) / 25)
