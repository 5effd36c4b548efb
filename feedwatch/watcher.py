"""The in-process API: a Python consumer watches its own connection with feedwatch's engine.

``Watcher`` is a front end on the runtime, like headless mode: inside ``async with``
the runtime runs (engine, /health and /metrics, alerts, history) and the consumer hands
each message it reads to a ``transport = "in-process"`` feed, with ``watch`` (wrapping
an async iterator) or ``record`` (one message). The messages go through the same reader
as a WebSocket's frames (classifier, channels, content rules) and are timed by the
engine's clock; the verdict is the engine's one verdict, read, never recomputed.

A watched stream is the feed's connection: it connects when ``watch`` starts and is
disconnected when the iterator ends, raises, or is dropped (a ``break`` or an exception
in the consumer's loop), so a consumer that is reconnecting shows "connecting", not a
live feed going stale.

Threads: every method runs on the event loop's thread, as asyncio code does; ``record``
raises RuntimeError elsewhere. From another thread, hand a message over with
``loop.call_soon_threadsafe(watcher.record, feed, message)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import threading
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import tomlkit

from feedwatch.config.loader import load_config, parse_config
from feedwatch.config.model import Config
from feedwatch.config.problems import ConfigError
from feedwatch.engine.events import Event, EventKind
from feedwatch.engine.verdict import State
from feedwatch.runtime import Runtime
from feedwatch.transports.in_process import InProcessLine

__all__ = ["ConfigError", "OnStale", "State", "Watcher"]

log = logging.getLogger("feedwatch")

M = TypeVar("M", bound=str | bytes)

# Called once per stale transition with the feed's name and the channel (None: the feed).
OnStale = Callable[[str, str | None], "Awaitable[object] | object"]


class Watcher:
    """Watch streams this process reads itself; ``async with`` runs the runtime around them."""

    def __init__(
        self,
        feeds: Sequence[Mapping[str, Any]] = (),
        *,
        server: Mapping[str, Any] | None = None,
        history: Mapping[str, Any] | None = None,
        alerts: Sequence[Mapping[str, Any]] = (),
        on_stale: OnStale | None = None,
    ) -> None:
        """Feeds as the tables of ``[[feeds]]`` (and the other sections as theirs), checked
        by the config reader, so every rule and message of a config file applies."""
        document: dict[str, Any] = {"feeds": [dict(feed) for feed in feeds]}
        for key, table in (("server", server), ("history", history)):
            if table is not None:
                document[key] = dict(table)
        if alerts:
            document["alerts"] = [dict(alert) for alert in alerts]
        try:
            config = parse_config(tomlkit.dumps(document))
        except ConfigError as exc:
            raise exc.with_traceback(None) from None
        self._setup(config, on_stale)

    @classmethod
    def from_config(
        cls, path: str | os.PathLike[str], *, on_stale: OnStale | None = None
    ) -> Watcher:
        """A watcher for a config file, read and checked as ``feedwatch`` reads it."""
        try:
            config = load_config(Path(path))
        except ConfigError as exc:
            raise exc.with_traceback(None) from None
        watcher = cls.__new__(cls)
        watcher._setup(config, on_stale)
        return watcher

    def _setup(self, config: Config, on_stale: OnStale | None) -> None:
        self.config = config
        self._runtime = Runtime(config)
        engine = self._runtime.engine
        self._lines: dict[str, InProcessLine] = {
            name: line for name, w in engine.workers.items() if (line := w.line) is not None
        }
        self._callbacks: list[OnStale] = [] if on_stale is None else [on_stale]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._tasks: set[asyncio.Future[object]] = set()
        self._entered = False

    # -- lifecycle ------------------------------------------------------------

    async def __aenter__(self) -> Watcher:
        """Start the runtime: history, alerts, /health and /metrics, the engine."""
        if self._entered:
            raise RuntimeError("a Watcher runs once: make a new one to run again")
        self._entered = True
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._unsubscribe = self._runtime.engine.subscribe(self._on_event)
        try:
            await self._runtime.start()
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._close()

    async def _close(self) -> None:
        for line in self._lines.values():
            line.detach("feedwatch stopping")
        try:
            await self._runtime.stop()
        finally:
            if self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None
            self._loop = self._thread = None

    # -- handing messages over ------------------------------------------------

    def watch(self, feed: str, source: AsyncIterable[M]) -> AsyncIterator[M]:
        """Every message of ``source``, unchanged, each counted on ``feed`` as it passes."""
        line = self._line(feed)
        if self._loop is None:
            raise RuntimeError("watch() needs the watcher running: use it inside `async with`")
        if line.attached:
            raise RuntimeError(f'feed "{feed}" is being watched already')
        return _Watching(line, source)

    def record(self, feed: str, message: str | bytes) -> None:
        """Count one message on ``feed`` now, for consumers that do not read an iterator.

        Cheap and non-blocking; on the event loop's thread only. The first message
        connects the feed, ``disconnected`` ends that."""
        if threading.get_ident() != self._thread:
            if self._thread is None:
                raise RuntimeError("record() needs the watcher running: inside `async with`")
            raise RuntimeError(
                "record() runs on the watcher's event loop thread; from another thread use "
                "loop.call_soon_threadsafe(watcher.record, feed, message)"
            )
        line = self._line(feed)
        if not line.attached:
            line.attach()
        _deliver(line, message.encode() if isinstance(message, str) else message)

    def disconnected(self, feed: str, reason: str = "the consumer disconnected") -> None:
        """A ``record`` consumer's connection ended: the feed is disconnected until the
        next ``record``."""
        self._line(feed).detach(reason)

    # -- the verdict ----------------------------------------------------------

    def state(self, feed: str) -> State:
        """The engine's verdict on ``feed`` (the one /health and the dashboard show)."""
        return self._runtime.engine.worker(feed).monitor.verdict

    def stale(self, feed: str) -> bool:
        """Whether the engine's verdict on ``feed`` is stale: time to reconnect."""
        return self.state(feed) is State.STALE

    def on_stale(self, callback: OnStale) -> OnStale:
        """Call ``callback(feed, channel)`` once per stale transition (usable as a decorator)."""
        self._callbacks.append(callback)
        return callback

    def _on_event(self, event: Event) -> None:
        if event.kind is EventKind.STALE and self._callbacks and self._loop is not None:
            # From the loop, outside the engine's emit: a callback cannot disturb it.
            self._loop.call_soon(self._call_on_stale, event.feed, event.channel)

    def _call_on_stale(self, feed: str, channel: str | None) -> None:
        for callback in list(self._callbacks):
            try:
                result = callback(feed, channel)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._tasks.add(task)
                    task.add_done_callback(self._finished)
            except Exception:
                log.exception("on_stale callback failed for feed %s", feed)

    def _finished(self, task: asyncio.Future[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("on_stale callback failed", exc_info=task.exception())

    def _line(self, feed: str) -> InProcessLine:
        line = self._lines.get(feed)
        if line is None:
            if feed in self._runtime.engine.workers:
                raise ValueError(f'feed "{feed}" is not a transport = "in-process" feed')
            raise KeyError(f"no feed named {feed!r}")
        return line


def _deliver(line: InProcessLine, raw: bytes) -> None:
    try:
        line.deliver(raw)
    except Exception:  # a bug in reading must not reach the consumer's loop
        log.exception("feed %s: internal error reading a message", line.feed.name)


class _Watching(Generic[M]):
    """The consumer's iterator, passed through; its end (or drop) disconnects the feed."""

    def __init__(self, line: InProcessLine, source: AsyncIterable[M]) -> None:
        self._line: InProcessLine | None = line
        self._next: Callable[[], Awaitable[M]] = source.__aiter__().__anext__
        line.attach()

    def __aiter__(self) -> _Watching[M]:
        return self

    async def __anext__(self) -> M:
        line = self._line
        if line is None:
            raise StopAsyncIteration
        try:
            message = await self._next()
        except StopAsyncIteration:
            self._end("the consumer's stream ended")
            raise
        except asyncio.CancelledError:
            self._end("the consumer's read was cancelled")
            raise
        except BaseException as exc:
            self._end(f"the consumer's stream failed: {type(exc).__name__}: {exc}")
            raise
        try:
            line.deliver(message.encode() if isinstance(message, str) else message)
        except Exception:
            log.exception("feed %s: internal error reading a message", line.feed.name)
        return message

    async def aclose(self) -> None:
        self._end("the consumer stopped reading")

    def _end(self, cause: str) -> None:
        line, self._line = self._line, None
        if line is not None:
            line.detach(cause)

    def __del__(self) -> None:
        # A break or an exception in the consumer's loop drops the iterator mid-stream.
        with contextlib.suppress(Exception):
            if getattr(self, "_line", None) is not None:
                self._end("the consumer stopped reading (its loop ended or raised)")
