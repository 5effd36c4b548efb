"""Feeds that demand something from the client and hang up when they do not get it."""

from __future__ import annotations

import asyncio
import json

from feedwatch.demo.behaviours import trades
from feedwatch.demo.session import Behaviour, Listener, Session
from feedwatch.demo.tape import compact

TEST_REQUEST = compact(
    {"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "test_request"}}
)


def _parsed(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None


class NeedsPing(Behaviour):
    """Streams data but closes (4000) unless an app-level ping arrives every `timeout` s.

    Protocol-level pings do not count: this is the OKX/Bybit style of keepalive that a
    client must send itself.
    """

    def __init__(
        self,
        timeout: float,
        ping_text: str = '{"op":"ping"}',
        pong_text: str = '{"op":"pong"}',
        rate: float = 5.0,
    ) -> None:
        if timeout <= 0 or rate <= 0:
            raise ValueError("timeout and rate must be > 0")
        self.timeout = timeout
        self.ping_text = ping_text
        self.pong_text = pong_text
        self.rate = rate
        self._ping_value = _parsed(ping_text)

    def is_ping(self, text: str) -> bool:
        """Accept the ping however the client spaced its JSON."""
        if text.strip() == self.ping_text:
            return True
        return self._ping_value is not None and _parsed(text) == self._ping_value

    def start(self, session: Session) -> Listener:
        pinged = asyncio.Event()
        session.spawn(trades(session, self.rate))
        session.spawn(self._expect_pings(session, pinged))

        async def listen(text: str) -> None:
            if not self.is_ping(text):
                session.stats.subscribes.append(text)
                return
            session.stats.app_pings += 1
            pinged.set()
            await session.send(self.pong_text)

        return listen

    async def _expect_pings(self, session: Session, pinged: asyncio.Event) -> None:
        while True:
            try:
                await asyncio.wait_for(pinged.wait(), self.timeout)
            except TimeoutError:
                session.end(4000, "no ping")
                return
            pinged.clear()


class TestRequest(Behaviour):
    """Deribit-style: asks for `public/test` every `every` s and closes (4001) if unanswered."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, every: float, reply_within: float, rate: float = 5.0) -> None:
        if every <= 0 or reply_within <= 0 or rate <= 0:
            raise ValueError("every, reply_within and rate must be > 0")
        self.every = every
        self.reply_within = reply_within
        self.rate = rate

    def start(self, session: Session) -> Listener:
        replied = asyncio.Event()
        session.spawn(trades(session, self.rate, venue="deribit"))
        session.spawn(self._challenge(session, replied))

        async def listen(text: str) -> None:
            if "public/test" in text:
                session.stats.replies += 1
                replied.set()
            else:
                session.stats.subscribes.append(text)

        return listen

    async def _challenge(self, session: Session, replied: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(self.every)
            replied.clear()
            await session.send(TEST_REQUEST)
            try:
                await asyncio.wait_for(replied.wait(), self.reply_within)
            except TimeoutError:
                session.end(4001, "no test reply")
                return
