"""The view of an engine that a front end is given: snapshots, events and commands.

The dashboard depends on this and nothing else of the engine, so the engine behind it can
be the one in this process or, later, one in another process or on another host.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from feedwatch.config.model import Config
from feedwatch.engine.clock import Clock
from feedwatch.engine.events import Event, Listener
from feedwatch.engine.snapshot import FeedDetail, FeedSnapshot


class EngineView(Protocol):
    """What a front end may read of an engine and ask of it."""

    @property
    def config(self) -> Config: ...

    @property
    def clock(self) -> Clock: ...

    # -- reading ----------------------------------------------------------------

    def feed_names(self) -> Sequence[str]:
        """Every feed, in config order."""
        ...

    def snapshot(self) -> list[FeedSnapshot]: ...

    def feed_snapshot(self, name: str) -> FeedSnapshot: ...

    def feed_detail(self, name: str) -> FeedDetail: ...

    def recent_events(self) -> list[Event]:
        """The latest events, oldest first, for a front end that starts late."""
        ...

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Hear every event as it happens; returns the call that stops it."""
        ...

    # -- commands ---------------------------------------------------------------

    def reconnect(self, name: str) -> None: ...

    def reconnect_all(self) -> None: ...

    def set_stale_after(self, name: str, seconds: float) -> None: ...

    def toggle_pause(self, name: str) -> bool: ...
