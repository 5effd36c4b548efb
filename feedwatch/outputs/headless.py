"""Headless mode: the engine with JSON lines on stdout and human logs on stderr.

Each event is written and flushed the moment it happens, so ``| jq`` or a log
shipper sees it at once. SIGINT and SIGTERM stop everything cleanly (exit 0), after
every event printed is in the history file. A history file that fails is a ``history``
event (feed "") on both streams; the feeds are watched all the same.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from typing import TextIO

from feedwatch.alerts.bell import ring_terminal
from feedwatch.alerts.router import AlertRouter
from feedwatch.config.model import HistoryConfig
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, Severity
from feedwatch.history.schema import HistoryError
from feedwatch.history.store import HistoryStore, history_path
from feedwatch.outputs.http.server import HealthServer

log = logging.getLogger("feedwatch")

_LEVELS = {Severity.INFO: logging.INFO, Severity.WARNING: logging.WARNING,
           Severity.ERROR: logging.ERROR}  # fmt: skip


class JsonLines:
    """Writes one JSON object per event; stops writing if the reader goes away."""

    def __init__(self, out: TextIO, on_broken: asyncio.Event | None = None) -> None:
        self._out = out
        self._on_broken = on_broken
        self.broken = False

    def __call__(self, event: Event) -> None:
        log.log(_LEVELS[event.severity], "%s", event.describe())
        if self.broken:
            return
        try:
            self._out.write(json.dumps(event.to_json(), separators=(", ", ": ")) + "\n")
            self._out.flush()
        except (BrokenPipeError, ValueError):
            # The reader closed the pipe (`| head`): nobody is listening, so stop.
            self.broken = True
            if self._on_broken is not None:
                self._on_broken.set()


async def run_headless(engine: Engine, out: TextIO) -> int:
    """Run until SIGINT/SIGTERM (or stdout closes); returns the exit status."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    unsubscribe = engine.bus.subscribe(JsonLines(out, stop))
    # A bell alert rings the terminal ("\a" on stderr) and is logged.
    alerts = AlertRouter(engine, bell=ring_terminal) if engine.config.alerts else None
    server: HealthServer | None = None
    history = open_history(engine.config.history)
    try:
        if engine.config.server.enabled:
            status = None if history is None else (lambda: history.status)
            server = HealthServer(engine, engine.config.server, history=status)
            try:
                await server.start()
            except OSError as exc:
                where = f"{engine.config.server.host}:{engine.config.server.port}"
                log.error("cannot serve /health on %s: %s", where, exc.strerror or exc)
                return 2
        if alerts is not None:
            await alerts.start()
        if history is not None:
            # Ages carry across the restart: a feed silent since before it is not "new".
            engine.restore(history.last_data())
            history.attach(engine)
        await engine.start()
        await stop.wait()
        log.info("stopping")
        return 0
    finally:
        await engine.stop()
        if alerts is not None:
            await alerts.stop()
        if server is not None:
            await server.stop()
        if history is not None:
            history.close()  # after the engine stopped: its last events are kept
        unsubscribe()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def open_history(config: HistoryConfig) -> HistoryStore | None:
    """The history store, or None when it is off. A file that cannot be recorded to gives
    a store that records nothing and says why (a ``history`` event once attached): the
    feeds are watched all the same."""
    if not config.enabled:
        return None
    try:
        history = HistoryStore.open(config)
    except HistoryError as exc:
        return HistoryStore.unavailable(history_path(config), str(exc))
    except Exception as exc:  # a bug here must not stop the watching
        log.debug("history could not be opened", exc_info=True)
        path = history_path(config)
        return HistoryStore.unavailable(path, f"cannot open {path}: {type(exc).__name__}: {exc}")
    if history.notice is not None:
        log.warning("%s", history.notice)
    return history
