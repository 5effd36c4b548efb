"""The runtime: the one place the process is assembled, for every front end.

Open history, restore each feed's true age from it, attach the recorder, start the alert
router, serve /health and /metrics, start the engine; stop in reverse. The dashboard,
headless mode and ``check`` are handed a runtime and never assemble one of their own, so
they share one order and one set of failure rules: a history file that fails is said and
the feeds are watched all the same; a port that cannot be bound stops the start
(``StartFailed``: exit 2), since a monitor nobody can reach looks healthy to nobody.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from feedwatch.alerts.bell import Ring, ring_terminal
from feedwatch.alerts.router import AlertRouter
from feedwatch.config.model import Config, HistoryConfig
from feedwatch.engine.clock import Clock
from feedwatch.engine.engine import Engine
from feedwatch.history.schema import HistoryError
from feedwatch.history.status import HistoryStatus
from feedwatch.history.store import HistoryStore, history_path
from feedwatch.outputs.http.server import HealthServer

log = logging.getLogger("feedwatch")


class StartFailed(Exception):
    """The process cannot do its job as configured; the message is for people."""


@dataclass(frozen=True)
class Parts:
    """Which parts a front end wants (``check`` records nothing and serves nothing)."""

    history: bool = True
    alerts: bool = True
    server: bool = True


class Runtime:
    """One engine and everything around it; ``open``, ``start``, ``stop``, in that order."""

    def __init__(
        self,
        config: Config,
        *,
        engine: Engine | None = None,
        clock: Clock | None = None,
        bell: Ring | None = None,
        parts: Parts = Parts(),
    ) -> None:
        self.config = config
        self.engine = engine or Engine(config, clock=clock)
        self.parts = parts
        self.bell: Ring = bell or ring_terminal  # a front end may set its own before start
        self.history: HistoryStore | None = None
        self.alerts: AlertRouter | None = None
        self.server: HealthServer | None = None
        self._opened = False
        self._started = False

    @property
    def view(self) -> Engine:
        """The engine, as front ends read it (feedwatch.engine.view.EngineView)."""
        return self.engine

    def history_status(self) -> HistoryStatus | None:
        return None if self.history is None else self.history.status

    def open(self) -> None:
        """Open the history and carry each feed's last data over the restart (idempotent).

        Synchronous, so a front end can say what went wrong before it takes the terminal.
        """
        if self._opened:
            return
        self._opened = True
        if self.parts.history:
            self.history = open_history(self.config.history)
        if self.history is not None:
            # Ages carry across the restart: a feed silent since before it is not "new".
            self.engine.restore(self.history.last_data())

    async def start(self) -> None:
        """Record, alert, serve, watch; on a failure, stop what started and raise StartFailed."""
        self.open()
        if self._started:
            return
        self._started = True
        try:
            if self.history is not None:
                self.history.attach(self.engine)  # on the engine's loop, before it starts
            if self.parts.alerts and self.config.alerts:
                self.alerts = AlertRouter(self.engine, bell=self.bell)
                await self.alerts.start()
            if self.parts.server and self.config.server.enabled:
                await self._serve()
            await self.engine.start()
        except BaseException:
            await self.stop()
            raise

    async def _serve(self) -> None:
        server = HealthServer(self.engine, self.config.server, history=self.history_status)
        try:
            await server.start()
        except OSError as exc:
            where = f"{self.config.server.host}:{self.config.server.port}"
            raise StartFailed(f"cannot serve /health on {where}: {exc.strerror or exc}") from None
        self.server = server

    async def stop(self) -> None:
        """Stop in reverse (idempotent): the history closes last, keeping the last events."""
        await self.engine.stop()
        if self.server is not None:
            await self.server.stop()
            self.server = None
        if self.alerts is not None:
            await self.alerts.stop()
            self.alerts = None
        self.close_history()

    def close_history(self) -> None:
        if self.history is not None:
            self.history.close()


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
