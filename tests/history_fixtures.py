"""Realistic engine events and a real engine to feed them through, for the history tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from feedwatch.config.model import Config, FeedConfig, HistoryConfig
from feedwatch.engine.clock import FakeClock
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind
from feedwatch.history.store import HistoryStore

T0 = 1_790_000_000.0  # unix seconds: a fixed instant, so every figure is exact
ROOT = Path(__file__).resolve().parent.parent


def headless(
    folder: Path, history: Path | str, stale_after: str, **pipes: Any
) -> subprocess.Popen[str]:
    """`feedwatch --headless` on one unreachable feed, recording to ``history``."""
    config = folder / "feedwatch.toml"
    config.write_text(
        f'[history]\npath = "{history}"\n\n'
        f'[[feeds]]\nname = "nowhere"\nurl = "ws://127.0.0.1:9/x"\nstale_after = "{stale_after}"\n'
    )
    command = [sys.executable, "-m", "feedwatch", "--config", str(config), "--headless"]
    return subprocess.Popen(command, text=True, cwd=ROOT, **pipes)


def feed(name: str, **extra: Any) -> FeedConfig:
    return FeedConfig(name=name, url=f"ws://127.0.0.1:1/{name}", stale_after=5.0, **extra)


class Recording:
    """A real engine on a fake clock with a history store attached, as headless mode does."""

    def __init__(self, path: Path, *feeds: FeedConfig, at: float = T0, days: float = 30) -> None:
        self.clock = FakeClock(start=1000.0, wall_offset=at - 1000.0)
        self.engine = Engine(Config(feeds=feeds), clock=self.clock)
        self.store = HistoryStore.open(
            HistoryConfig(path=path, retention_days=days), now=self.clock.time
        )
        self.store.attach(self.engine)

    def emit(self, at: float, feed: str, kind: EventKind, **kw: Any) -> Event:
        """An event at ``at`` seconds after the clock's start (the clock moves there)."""
        self.clock.advance_to(1000.0 + at)
        event = Event(self.clock.time(), feed, kind, **kw)
        self.engine.bus.emit(event)
        return event

    def close(self) -> None:
        self.store.close()


def stale(r: Recording, at: float, name: str, channel: str | None = None) -> Event:
    reason = "no data on channel for 5s" if channel else "no data for 5s"
    fields = {"stale_after_seconds": 5.0}
    if channel is None:
        fields.update(connected=True, last_heartbeat_age_seconds=None)
    return r.emit(at, name, EventKind.STALE, channel=channel, reason=reason, age_seconds=5.0,
                  fields=fields)  # fmt: skip


def recovered(r: Recording, at: float, name: str, channel: str | None = None) -> Event:
    return r.emit(at, name, EventKind.RECOVERED, channel=channel, reason="data flowing again",
                  age_seconds=float(at), fields={"outage_seconds": float(at)})  # fmt: skip


def reconnecting(r: Recording, at: float, name: str, attempt: int) -> Event:
    return r.emit(at, name, EventKind.RECONNECTING, reason="stale: no data",
                  fields={"delay_seconds": 0.5 * attempt, "attempt": attempt})  # fmt: skip


def disconnected(r: Recording, at: float, name: str, reason: str = "stale: no data") -> Event:
    return r.emit(at, name, EventKind.DISCONNECTED, reason=reason, fields={"code": 1000})


def connected(r: Recording, at: float, name: str) -> Event:
    return r.emit(at, name, EventKind.CONNECTED,
                  fields={"url": f"ws://127.0.0.1:1/{name}", "subscribed": 1})  # fmt: skip


def down(r: Recording, at: float, name: str, active: bool, reason: str) -> Event:
    return r.emit(at, name, EventKind.DOWN, reason=reason,
                  fields={"active": active, "down_seconds": 120.0})  # fmt: skip


MUX = feed("mux", channel_key="ch", channels=("btc", "sol"))


def channel_stale_for_half_a_minute(path: Path, at: float = T0) -> None:
    """100 s of the real engine's monitor on feed ``mux`` (stale_after 5 s), recorded from
    ``at``: data every 0.5 s on both channels, except that ``sol`` sends nothing from 20 s
    to 55 s. So: connecting 0.5 s, live until ``sol`` goes stale at 24.5 s, partial until
    its data returns at 55 s, live to the end: 69 s live in 100 s watched."""
    r = Recording(path, MUX, at=at)
    monitor = r.engine.worker("mux").monitor
    monitor.start()
    monitor.on_connected(1, "ws://127.0.0.1:1/mux")
    for step in range(1, 201):
        r.clock.advance(0.5)
        monitor.on_data(10, "btc", b"{}")
        if not 20 <= step * 0.5 < 55:
            monitor.on_data(10, "sol", b"{}")
    monitor.stop()
    r.close()
