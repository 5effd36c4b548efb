"""Well-behaved simulated feeds: tickers and sensors whose data can stall or thin out."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from feedwatch.demo.session import Behaviour, Listener, Session
from feedwatch.demo.tape import TradeTape, compact

HEARTBEAT = compact({"event": "heartbeat"})

Venue = Literal["binance", "deribit"]


@dataclass(frozen=True)
class DutyCycle:
    """On for `on` seconds, then off for `off` (None: for good), repeating from connect."""

    on: float
    off: float | None

    def off_remaining(self, age: float) -> float:
        """Seconds until the cycle is on again at this connection age (0 while on)."""
        if age < self.on:
            return 0.0
        if self.off is None:
            return math.inf
        period = self.on + self.off
        phase = age % period
        return 0.0 if phase < self.on else period - phase


async def paced(
    session: Session,
    interval: Callable[[], float],
    emit: Callable[[], Awaitable[None]],
    pause: Callable[[], float] | None = None,
) -> None:
    """Emit on a steady schedule that never bursts to catch up after a stall."""
    next_at = session.loop.time()
    while True:
        delay = next_at - session.loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if await session.until_data_flows(pause):
            next_at = session.loop.time()
        await emit()
        next_at = max(next_at + interval(), session.loop.time())


async def heartbeats(session: Session, every: float, text: str = HEARTBEAT) -> None:
    """Keep sending heartbeats whatever the data does, as real feeds keep their keepalives."""
    while True:
        await asyncio.sleep(every)
        await session.send(text)


def recorder(session: Session) -> Listener:
    """A listener that only notes what the client sent, for feeds that never answer."""

    async def listen(text: str) -> None:
        session.stats.subscribes.append(text)

    return listen


def _positive(name: str, value: float | None) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")


def _ack(text: str) -> str:
    """Binance-style subscription ack, echoing the request id when there is one."""
    try:
        request = json.loads(text)
    except ValueError:
        request = None
    ident = request.get("id") if isinstance(request, dict) else None
    if not isinstance(ident, int | str) or isinstance(ident, bool):
        ident = 1
    return compact({"result": None, "id": ident})


def _asset(channel: str) -> str:
    return channel.split("@", 1)[0].lower().removesuffix("usdt") or "btc"


class Ticker(Behaviour):
    """A Binance-like trade stream, optionally multiplexed, stalling or losing a channel.

    ``rate`` is messages per second across all channels; a silent channel just skips its
    turn, so the others keep their pace. Stalls and channel deaths are timed from each
    connection's start, so a reconnect cures them (like a zombie connection), while
    ``Simulator.stall`` holds the whole path until resumed.
    """

    def __init__(
        self,
        rate: float,
        require_subscribe: bool = True,
        channels: Sequence[str] | None = None,
        heartbeat_every: float | None = None,
        *,
        stall_every: float | None = None,
        stall_for: float | None = None,
        die_channel: str | None = None,
        die_after: float | None = None,
        die_for: float | None = None,
        symbol: str = "btc",
    ) -> None:
        for name, value in [
            ("rate", rate),
            ("heartbeat_every", heartbeat_every),
            ("stall_every", stall_every),
            ("stall_for", stall_for),
            ("die_after", die_after),
            ("die_for", die_for),
        ]:
            _positive(name, value)
        if (stall_every is None) != (stall_for is None):
            raise ValueError("stall_every and stall_for go together")
        if die_channel is not None and (die_after is None or die_channel not in (channels or ())):
            raise ValueError("die_channel needs die_after and must be one of channels")
        self.rate = rate
        self.require_subscribe = require_subscribe
        self.channels = tuple(channels) if channels else ()
        self.heartbeat_every = heartbeat_every
        self.symbol = symbol
        self.stall = (
            DutyCycle(stall_every, stall_for)
            if stall_every is not None and stall_for is not None
            else None
        )
        self.die_channel = die_channel
        self.death = DutyCycle(die_after, die_for) if die_after is not None else None

    def start(self, session: Session) -> Listener:
        subscribed = asyncio.Event()
        if not self.require_subscribe:
            subscribed.set()
        if self.heartbeat_every is not None:
            session.spawn(heartbeats(session, self.heartbeat_every))
        session.spawn(self._stream(session, subscribed))

        async def listen(text: str) -> None:
            session.stats.subscribes.append(text)
            await session.send(_ack(text))
            subscribed.set()

        return listen

    def silent(self, session: Session, channel: str) -> bool:
        """Whether a channel is held by a test or has died on its own schedule."""
        if channel in session.control.stalled_channels:
            return True
        if channel != self.die_channel or self.death is None:
            return False
        return self.death.off_remaining(session.age) > 0

    async def _stream(self, session: Session, subscribed: asyncio.Event) -> None:
        await subscribed.wait()
        tape = TradeTape(session.rng)
        turns = itertools.cycle(self.channels or (None,))
        default_stream = f"{self.symbol.lower()}usdt@trade"

        async def emit() -> None:
            channel = next(turns)
            if channel is not None and self.silent(session, channel):
                return
            trade = tape.next(_asset(channel) if channel is not None else self.symbol)
            stream = channel if channel is not None else default_stream
            await session.send(trade.binance(stream, session.wall_ms()), data=True)

        stall = self.stall
        pause = (lambda: stall.off_remaining(session.age)) if stall is not None else None
        await paced(session, lambda: 1.0 / self.rate, emit, pause)


class Sensor(Behaviour):
    """A slow IoT sensor: one reading every few seconds, the case a short threshold misreads."""

    def __init__(self, every: float = 4.0, jitter: float = 0.5, device: str = "greenhouse-3"):
        _positive("every", every)
        if not 0 <= jitter < every:
            raise ValueError("jitter must be >= 0 and smaller than every")
        self.every = every
        self.jitter = jitter
        self.device = device

    def start(self, session: Session) -> Listener:
        session.spawn(self._stream(session))
        return recorder(session)

    async def _stream(self, session: Session) -> None:
        rng = session.rng
        reading = {"temperature_c": 21.0, "humidity_pct": 48.0, "battery_v": 3.9}
        seq = itertools.count(1)

        async def emit() -> None:
            reading["temperature_c"] += rng.gauss(0.0, 0.08)
            reading["humidity_pct"] = min(
                100.0, max(0.0, reading["humidity_pct"] + rng.gauss(0, 0.3))
            )
            reading["battery_v"] -= rng.random() * 0.0005
            message = {"device": self.device, "ts": session.wall_ms(), "seq": next(seq)}
            message.update({key: round(value, 2) for key, value in reading.items()})
            await session.send(compact(message), data=True)

        def interval() -> float:
            return self.every + rng.uniform(-self.jitter, self.jitter)

        await paced(session, interval, emit)


async def trades(session: Session, rate: float, venue: Venue = "binance") -> None:
    """Stream plain BTC trades at `rate`/s, for behaviours whose point lies elsewhere."""
    tape = TradeTape(session.rng)

    async def emit() -> None:
        trade = tape.next("btc")
        ms = session.wall_ms()
        text = trade.deribit(ms) if venue == "deribit" else trade.binance("btcusdt@trade", ms)
        await session.send(text, data=True)

    await paced(session, lambda: 1.0 / rate, emit)
