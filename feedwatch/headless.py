"""Headless mode: a front end on the runtime, with JSON lines on stdout and human logs
on stderr.

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

from feedwatch.engine.events import Event, Severity
from feedwatch.runtime import Runtime, StartFailed

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


async def run_headless(runtime: Runtime, out: TextIO) -> int:
    """Run until SIGINT/SIGTERM (or stdout closes); returns the exit status."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    unsubscribe = runtime.view.subscribe(JsonLines(out, stop))
    try:
        try:
            await runtime.start()
        except StartFailed as exc:
            log.error("%s", exc)
            return 2
        await stop.wait()
        log.info("stopping")
        return 0
    finally:
        await runtime.stop()  # the history closes after the engine: its last events are kept
        unsubscribe()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
