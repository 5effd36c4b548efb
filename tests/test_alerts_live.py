"""Alerts end to end: real feeds from the simulator, a real webhook receiver, the
headless process ringing the terminal, and the dashboard's bell and notification."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from feedwatch.alerts.router import AlertRouter
from feedwatch.config.model import AlertChannel, Config
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import EventKind
from feedwatch.tui.factory import build_app
from tests.alert_receiver import Receiver
from tests.live import Recorder, feed
from tests.waiting import wait_until


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=17) as simulator:
        simulator.add("/ticker", Ticker(rate=40, require_subscribe=False))
        yield simulator


async def test_a_stalling_feed_sends_one_stale_and_one_recovered_webhook(sim: Simulator) -> None:
    async with Receiver() as receiver:
        hook = AlertChannel(type="webhook", name="ops", url=receiver.url("/ops"), timeout=2.0)
        engine = Engine(Config(feeds=(feed("ticker", sim.url("/ticker")),), alerts=(hook,)))
        rec = Recorder()
        engine.bus.subscribe(rec)
        router = AlertRouter(engine)
        await router.start()
        await engine.start()
        try:
            await rec.wait(lambda e: e.kind is EventKind.CONNECTED)
            sim.stall("/ticker")
            await rec.wait_kind(EventKind.STALE)
            await asyncio.sleep(0.5)  # stale through a reconnect or two: still one alert
            sim.resume("/ticker")
            await rec.wait_kind(EventKind.RECOVERED)
            await asyncio.sleep(0.5)  # live again: nothing more to say
            await router.flush()
        finally:
            await engine.stop()
            await router.stop()
    bodies = [r.json() for r in receiver.requests]
    assert [(b["feed"], b["condition"], b["recovered_from"]) for b in bodies] == [
        ("ticker", "stale", None),
        ("ticker", "recovered", "stale"),
    ]
    assert bodies[0]["state"] == "stale"
    assert bodies[0]["last_signal_age_seconds"] >= 0.3
    sent = [e for e in rec.events if e.kind is EventKind.ALERT]
    assert [(e.fields["condition"], e.fields["outcome"]) for e in sent] == [
        ("stale", "sent"),
        ("recovered", "sent"),
    ]


async def test_headless_rings_the_terminal_and_prints_the_alert_event(
    sim: Simulator, tmp_path: Path
) -> None:
    config = tmp_path / "feedwatch.toml"
    config.write_text(
        f"""
[[feeds]]
name = "ticker"
url = "{sim.url("/ticker")}"
stale_after = "300ms"

[[alerts]]
type = "bell"
on = ["stale"]
"""
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "feedwatch", "--config", str(config), "--headless",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    events: list[dict[str, object]] = []
    try:
        async with asyncio.timeout(10):
            while not events or events[-1]["event"] != "alert":
                line = await proc.stdout.readline()
                assert line, "feedwatch closed stdout"
                events.append(json.loads(line))
                if events[-1]["event"] == "connected":
                    sim.stall("/ticker")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 10)
    stderr = (await proc.stderr.read()).decode()
    assert code == 0, stderr
    alert = events[-1]
    assert (alert["feed"], alert["alert_channel"], alert["condition"], alert["outcome"]) == (
        "ticker",
        "bell",
        "stale",
        "sent",
    )
    assert "\a" in stderr
    assert "ALERT ticker is stale: no data for " in stderr


async def test_the_dashboard_rings_and_notifies_on_a_bell_alert(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Config(
        feeds=(feed("ticker", sim.url("/ticker"), stale_after=0.5),),
        alerts=(AlertChannel(type="bell", name="bell"),),
    )
    app = build_app(config, refresh_hz=20)
    rang: list[None] = []
    notes: list[tuple[str, str]] = []
    notify = app.notify
    monkeypatch.setattr(app, "bell", lambda: rang.append(None))

    def record(message: str, **kwargs: object) -> None:
        notes.append((message, str(kwargs.get("severity"))))
        notify(message, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(app, "notify", record)
    async with app.run_test(size=(120, 30)):
        await wait_until(lambda: str(app.view.feed_snapshot("ticker").state) == "live")
        sim.stall("/ticker")
        await wait_until(lambda: notes, message="a notification")
        assert rang
        message, severity = notes[0]
        assert message.startswith("ticker is stale: no data for ")
        assert severity == "error"
