"""One live simulated connection: its tasks, its sends, and how it ends."""

from __future__ import annotations

import asyncio
import logging
import random
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import EXTERNAL_CLOSE_CODES

from feedwatch.demo.control import PathControl, PathStats

logger = logging.getLogger(__name__)

# Reacts to one text message from the client.
Listener = Callable[[str], Awaitable[None]]


def check_close(code: int, reason: str) -> None:
    """Refuse a close a client could never receive (1005, 1006, 1015, long reasons)."""
    if not (code in EXTERNAL_CLOSE_CODES or 3000 <= code < 5000):
        raise ValueError(f"close code {code} cannot be sent in a close frame")
    if len(reason.encode()) > 123:
        raise ValueError("close reason must fit in 123 UTF-8 bytes")


class Behaviour(ABC):
    """How a path plays its feed; one instance serves every connection on the path."""

    @abstractmethod
    def start(self, session: Session) -> Listener:
        """Spawn this connection's producers and return what handles the client's texts."""


class Session:
    """Owns a connection's tasks so a close, a drop or a shutdown never leaks one."""

    def __init__(
        self,
        connection: ServerConnection,
        control: PathControl,
        rng: random.Random,
        clock: Callable[[], float],
    ) -> None:
        self.connection = connection
        self.control = control
        self.rng = rng
        self._clock = clock
        self.loop = asyncio.get_running_loop()
        self.opened_at = self.loop.time()
        self._tasks: set[asyncio.Task[None]] = set()
        self._ended = asyncio.Event()
        self._close: tuple[int, str] | None = None
        self._abort = False

    @property
    def stats(self) -> PathStats:
        return self.control.stats

    @property
    def age(self) -> float:
        """Seconds since the connection opened; behaviours schedule their phases on it."""
        return self.loop.time() - self.opened_at

    def wall_ms(self) -> int:
        """Wall-clock milliseconds for message timestamps (the clock is injectable)."""
        return int(self._clock() * 1000)

    async def send(
        self, message: str | bytes, *, data: bool = False, text: bool | None = None
    ) -> None:
        """Send and count, so tests can compare what was sent with what arrived."""
        await self.connection.send(message, text=text)
        self.control.stats.messages_sent += 1
        if data:
            self.control.stats.data_sent += 1

    async def until_data_flows(self, pause: Callable[[], float] | None = None) -> bool:
        """Wait out a manual stall and the behaviour's own pause; True if it waited."""
        waited = False
        while True:
            if self.control.stalled:
                await self.control.wait_flowing()
                waited = True
                continue
            remaining = pause() if pause is not None else 0.0
            if remaining <= 0.0:
                return waited
            await asyncio.sleep(remaining)
            waited = True

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a producer for this connection; it is cancelled when the connection ends."""
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def end(self, code: int | None = None, reason: str = "") -> None:
        """Finish the connection: close with a code, or just stop if the client left."""
        if code is not None:
            check_close(code, reason)
        if self._ended.is_set():
            return
        if code is not None:
            self._close = (code, reason)
        self._ended.set()

    def abort(self) -> None:
        """Drop the TCP connection without a close frame, like a dead network path."""
        if self._ended.is_set():
            return
        self._abort = True
        self._ended.set()

    async def run(self, behaviour: Behaviour) -> None:
        """Play the behaviour until the connection ends, then clean up every task."""
        try:
            self.spawn(self._read(behaviour.start(self)))
            await self._ended.wait()
        finally:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._abort:
            self.connection.transport.abort()
            await self.connection.wait_closed()
        elif self._close is not None:
            await self.connection.close(*self._close)

    async def _read(self, listener: Listener) -> None:
        try:
            async for message in self.connection:
                if isinstance(message, str):
                    await listener(message)
        except ConnectionClosed:
            pass
        self.end()

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            return
        if not isinstance(error, ConnectionClosed):
            logger.error("simulated feed task failed", exc_info=error)
        self.end()
