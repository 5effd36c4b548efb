"""One supervised worker per feed: connect, subscribe, read, classify, reconnect.

The worker does the I/O and tells its ``FeedMonitor`` what happened; the
monitor owns the clocks and deadlines and asks the worker to reconnect when a
feed goes stale. Nothing a server sends, and no bug in a single session, ends
the worker: the supervisor loop records the cause and connects again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from feedwatch.config.model import FeedConfig
from feedwatch.engine.backoff import Backoff
from feedwatch.engine.classify import Classifier
from feedwatch.engine.clock import Clock
from feedwatch.engine.events import Event
from feedwatch.engine.liveness import FeedMonitor, Phase
from feedwatch.engine.redact import redact_url
from feedwatch.transports.connection import Connection, Failure, Opener, close_quietly
from feedwatch.transports.in_process import InProcessConnection, InProcessLine
from feedwatch.transports.kind import Kind
from feedwatch.transports.opener import CLOSED, as_closed, describe_failure, opener_for
from feedwatch.transports.push import PushInbox

log = logging.getLogger(__name__)

# At most one "bad frame" event per feed in this many seconds; the rest are counted.
BAD_FRAME_REPORT_INTERVAL = 10.0
# Raw messages kept for the detail view are cut to this many bytes.
RAW_KEEP = 512
# The longest a server's Retry-After may hold a feed back.
MAX_RETRY_AFTER = 3600.0
# A close this soon after a planned_close notice is the announced one, not a failure.
PLANNED_CLOSE_WINDOW = 5.0
# How much of a planned_close notice its event quotes.
PLANNED_REASON_KEEP = 160


@dataclass
class ConnectionEnd:
    cause: str
    failure: Failure | None = None
    # The least wait before connecting again (an SSE server's retry:).
    retry_after: float | None = None


class FeedWorker:
    """Keeps one feed connected and its monitor informed, forever."""

    def __init__(
        self,
        config: FeedConfig,
        clock: Clock,
        emit: Callable[[Event], None],
        rng: random.Random | None = None,
        connect: Opener | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.monitor = FeedMonitor(config, clock, emit, self._abort)
        self.classifier = Classifier(config)
        self.backoff = Backoff(config.backoff, rng)
        self.display_url = redact_url(config.url, config.secrets, config.public_params)
        self._connect = connect if connect is not None else opener_for(config)
        self._conn: Connection | None = None
        self._session: asyncio.Task[ConnectionEnd] | None = None
        self._abort_reason: str | None = None
        self._stopping = False
        self._wake = asyncio.Event()
        self._paused = False
        self._skip_backoff = False
        self._forced = False
        self._first_data_at: float | None = None
        self._planned_at: float | None = None  # the latest planned_close notice (monotonic)
        self._bad_frames_unreported = 0
        self._bad_frame_reported_at = -1e18
        self._background: set[asyncio.Task[Any]] = set()

    # -- commands (called on the event loop by the engine) -------------------

    def reconnect(self, reason: str = "requested by user") -> None:
        """Drop the connection (or cut a backoff short) and connect again now."""
        if self._paused:
            return
        self._skip_backoff = True
        self._forced = True
        if not self._abort(reason):
            self._wake.set()

    def pause(self) -> None:
        if self._paused:
            return
        self._paused = True
        self.monitor.on_paused()
        self._abort("paused by user")
        self._wake.set()

    def resume(self) -> None:
        if not self._paused:
            return
        self._paused = False
        self._skip_backoff = True
        self.monitor.on_resumed()
        self._wake.set()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def inbox(self) -> PushInbox | None:
        """Where a push feed's check-ins go; None for every other transport."""
        connect = self._connect
        return connect if isinstance(connect, PushInbox) else None

    @property
    def line(self) -> InProcessLine | None:
        """Where an in-process feed's consumer hands its messages; None for other transports."""
        connect = self._connect
        return connect if isinstance(connect, InProcessLine) else None

    def ping_rtt(self) -> float | None:
        conn = self._conn
        return None if conn is None else conn.latency

    # -- the supervisor ------------------------------------------------------

    async def run(self) -> None:
        """Connect, read until the connection ends, wait out the backoff, repeat."""
        self.monitor.start()
        first = True
        try:
            while True:
                if self._paused:
                    await self._wait_for_resume()
                    first = True
                    continue
                if not first:
                    self.monitor.on_reconnect_attempt(count_for_storm=not self._forced)
                first = False
                self._forced = False
                end = await self._supervised_session()
                if self._paused:
                    continue
                delay = self._next_delay(end)
                if delay is None:
                    continue
                await self._sleep(delay)
        finally:
            self.monitor.stop()
            if self._background:
                # Let polite closes finish briefly; abort what is still hanging.
                _, pending = await asyncio.wait(list(self._background), timeout=1.0)
                for task in pending:
                    task.cancel()

    async def _supervised_session(self) -> ConnectionEnd:
        self._abort_reason = None
        task = asyncio.create_task(self._run_session(), name=f"feed:{self.config.name}")
        self._session = task
        try:
            await asyncio.wait([task])
        finally:
            if not task.done():  # the worker itself is being stopped
                self._abort_reason = self._abort_reason or "feedwatch stopping"
                self._stopping = True  # the disconnect this causes is a clean stop, no fault
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        self._session = None
        if task.cancelled():
            return ConnectionEnd(self._abort_reason or "cancelled")
        exc = task.exception()
        if exc is not None:
            log.error("feed %s: internal error", self.config.name, exc_info=exc)
            self.monitor.on_error(f"internal error: {type(exc).__name__}: {exc}")
            self._drop_connection()
            if self.monitor.phase is Phase.CONNECTED:
                self.monitor.on_disconnected(None, None, "internal error")
            return ConnectionEnd("internal error")
        return task.result()

    def _next_delay(self, end: ConnectionEnd) -> float | None:
        if self._skip_backoff:
            self._skip_backoff = False
            self.monitor.on_backoff(0.0, self.backoff.attempt, end.cause)
            return None
        failure = end.failure
        if failure is not None and failure.permanent:
            delay = self.backoff.jump_to_max()
        else:
            delay = self.backoff.next_delay()
        wait = failure.retry_after if failure is not None else end.retry_after
        if wait is not None:
            delay = max(delay, min(wait, MAX_RETRY_AFTER))
        self.monitor.on_backoff(delay, self.backoff.attempt, end.cause)
        return delay

    async def _sleep(self, delay: float) -> None:
        self._wake.clear()
        sleeper = asyncio.ensure_future(self.clock.sleep(delay))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait([sleeper, waker], return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
        if self._skip_backoff and not self._paused:
            self._skip_backoff = False

    async def _wait_for_resume(self) -> None:
        while self._paused:
            self._wake.clear()
            await self._wake.wait()

    def _abort(self, reason: str) -> bool:
        """Cancel the running session; True if there was one to cancel."""
        task = self._session
        if task is None or task.done():
            return False
        if self._abort_reason is None:
            self._abort_reason = reason
        task.cancel()
        return True

    # -- one connection ------------------------------------------------------

    async def _run_session(self) -> ConnectionEnd:
        monitor = self.monitor
        monitor.on_connecting()
        try:
            conn = await self._connect(self.config)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failure = describe_failure(exc, self.clock.time())
            monitor.on_error(failure.reason, kind=failure.kind, status=failure.status)
            return ConnectionEnd(failure.reason, failure)
        self._conn = conn
        self._first_data_at = None
        self._planned_at = None
        ping_task: asyncio.Task[None] | None = None
        try:
            for message in self.config.subscribe:
                await conn.send(message)
            monitor.on_connected(len(self.config.subscribe), self.display_url)
            if self.config.ping is not None:
                ping_task = asyncio.create_task(self._app_ping(conn, self.config.ping.every))
            await self._read(conn)
            return ConnectionEnd("connection ended")  # pragma: no cover - _read only raises
        except CLOSED as exc:
            closed = as_closed(exc)
            code, reason, text = closed.code, closed.reason, closed.sentence
            planned = self._planned()
            if planned:  # the announced close: straight back, no backoff, no storm count
                self._skip_backoff = self._forced = True
            elif isinstance(conn, InProcessConnection):
                self._skip_backoff = True  # the consumer reconnects itself: nothing to wait out
            monitor.on_disconnected(code, reason, text, planned=planned)
            return ConnectionEnd(text, retry_after=closed.retry_after)
        except asyncio.CancelledError:
            if monitor.phase is Phase.CONNECTED:
                cause = self._abort_reason or "cancelled"
                monitor.on_disconnected(
                    None, None, cause, planned=self._planned(), stopping=self._stopping
                )
            raise
        finally:
            if ping_task is not None:
                ping_task.cancel()
            self._drop_connection()

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        task = asyncio.create_task(close_quietly(conn))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _app_ping(self, conn: Connection, every: float) -> None:
        assert self.config.ping is not None
        text = self.config.ping.send
        while True:
            await self.clock.sleep(every)
            try:
                await conn.send(text)
            except CLOSED:
                return

    async def _read(self, conn: Connection) -> None:
        recv = conn.recv
        handle = self._handler(conn)
        if isinstance(conn, InProcessConnection):
            conn.hand(handle)  # the consumer's own loop delivers; recv waits for its end
        while True:
            reply = handle(await recv())
            if reply is not None:
                await conn.send(reply)

    def _handler(self, conn: Connection) -> Callable[[bytes], str | None]:
        """The one reader: classify a message and tell the monitor; returns a reply to send."""
        monitor = self.monitor
        classify, on_data = conn.adapt(self.classifier.classify, monitor)
        backoff = self.backoff
        stable_after = self.config.backoff.stable_after
        clock = self.clock
        data, heartbeat = Kind.DATA, Kind.HEARTBEAT
        if monitor.content is not None:  # content signals read the JSON classify parsed
            classifier, on_content, count_data = self.classifier, monitor.on_content, on_data

            def on_data(size: int, channel: str | None, raw: bytes) -> None:
                count_data(size, channel, raw)
                on_content(classifier.last_doc, channel)

        def handle(raw: bytes) -> str | None:
            size = len(raw)
            kind, channel, reply = classify(raw)
            if kind is data:
                on_data(size, channel, raw if size <= RAW_KEEP else raw[:RAW_KEEP])
                if backoff.attempt:
                    now = clock.monotonic()
                    if self._first_data_at is None:
                        self._first_data_at = now
                    elif now - self._first_data_at >= stable_after and not monitor.stale:
                        backoff.reset()
            elif kind is heartbeat:
                monitor.on_heartbeat(size, raw[:RAW_KEEP])
            elif kind is Kind.REPLY:
                monitor.on_other(size, raw[:RAW_KEEP], reply=True)
                return reply
            elif kind is Kind.INVALID:
                monitor.on_other(size, raw[:RAW_KEEP], invalid=True)
                self._bad_frame(self.classifier.last_error)
            elif kind is Kind.PLANNED_CLOSE:
                self._planned_close(size, raw)
            else:
                monitor.on_other(size, raw[:RAW_KEEP])
            return None

        return handle

    def _planned_close(self, size: int, raw: bytes) -> None:
        """The server announced a disconnect: reconnect now, as planned, not as a failure."""
        self._planned_at = self.clock.monotonic()
        notice = raw[:PLANNED_REASON_KEEP].decode("utf-8", errors="replace")
        self.monitor.on_planned_close(size, raw[:RAW_KEEP], f"server announced a close: {notice}")
        self.reconnect("planned close announced by the server")

    def _planned(self) -> bool:
        at = self._planned_at
        return at is not None and self.clock.monotonic() - at <= PLANNED_CLOSE_WINDOW

    def _bad_frame(self, reason: str) -> None:
        now = self.clock.monotonic()
        self._bad_frames_unreported += 1
        if now - self._bad_frame_reported_at < BAD_FRAME_REPORT_INTERVAL:
            return
        count, self._bad_frames_unreported = self._bad_frames_unreported, 0
        self._bad_frame_reported_at = now
        self.monitor.on_error(f"bad frame ignored: {reason}", kind="bad_frame", frames=count)
