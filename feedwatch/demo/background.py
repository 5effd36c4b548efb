"""Run the demo simulator on its own thread and loop, beside whatever watches it.

The dashboard owns its event loop, and the engine's measurements should not
share a loop with the server it measures, so the demo feeds get their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import Future

from feedwatch.demo.feeds import demo_simulator
from feedwatch.demo.simulator import Simulator


class BackgroundSimulator:
    """Start with ``start()`` (blocks until listening), stop with ``stop()``."""

    def __init__(self, sim: Simulator | None = None, host: str = "127.0.0.1") -> None:
        self.sim = sim or demo_simulator()
        self._host = host
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="feedwatch-demo", daemon=True)
        self._stopped: asyncio.Event | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()
        self._loop.close()

    def start(self, timeout: float = 10.0) -> Simulator:
        self._thread.start()
        future: Future[None] = asyncio.run_coroutine_threadsafe(
            self.sim.start(host=self._host, port=0), self._loop
        )
        future.result(timeout)
        return self.sim

    def stop(self, timeout: float = 5.0) -> None:
        if not self._thread.is_alive():
            return
        future: Future[None] = asyncio.run_coroutine_threadsafe(self.sim.stop(), self._loop)
        with contextlib.suppress(Exception):  # shutting down: nothing left to tell
            future.result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
