"""The stale_after in force for one feed and its channels, resolved from its sources.

A feed's threshold has four sources, and the first that holds wins: a live change (a key in
the dashboard, a command), which lasts until the next schedule boundary or learned move;
the schedule window's own threshold; the learned one (stale_after = "auto"); the
configured one. Channels follow the feed unless channel_stale_after sets their own; with
channel_stale_after = "auto" each channel's order is the same (live, window, then what that
channel learned, never the feed's learned figure). Kept here in one place, so no copy of
the value can drift from another.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from feedwatch.config.model import FeedConfig


class Threshold:
    """Which stale_after is in force, for the feed and for its channels."""

    def __init__(
        self,
        config: FeedConfig,
        learned: Callable[[], float | None],
        channel_learned: Callable[[str], float] | None = None,
    ) -> None:
        self._configured = config.stale_after
        self._channel = config.channel_stale_after
        self._learned = learned  # the learned value now, or None for a fixed threshold
        self._channel_learned = channel_learned  # a channel's own learned value, if learning
        self._window: float | None = None  # the schedule window's own threshold
        self._live: float | None = None  # changed by hand since the last boundary

    @property
    def base(self) -> float:
        """The threshold outside schedule windows: as learned, or as configured."""
        learned = self._learned()
        return self._configured if learned is None else learned

    @property
    def feed(self) -> float:
        if self._live is not None:
            return self._live
        return self._window if self._window is not None else self.base

    @property
    def channel(self) -> float:
        """The threshold of a channel that learns nothing of its own."""
        return self._channel if self._channel is not None else self.feed

    def channel_for(self, key: str) -> float:
        """One channel's threshold: live > window > its own learned value > configured."""
        learned = self._channel_learned
        if learned is None or self._channel is not None:
            return self.channel
        if self._live is not None:
            return self._live
        return self._window if self._window is not None else learned(key)

    def change(self, seconds: float) -> None:
        """A live change, in force until the next window boundary or learned move."""
        if not seconds > 0 or math.isinf(seconds) or math.isnan(seconds):
            raise ValueError(f"threshold must be a positive number of seconds, got {seconds!r}")
        self._live = seconds

    def enter_window(self, stale_after: float | None) -> None:
        """A schedule boundary: the window's threshold (None: the base) replaces a live change."""
        self._window = stale_after
        self._live = None

    def learned_moved(self) -> bool:
        """The learned value moved; True when it is now in force (no window sets its own)."""
        if self._window is not None:
            return False
        self._live = None
        return True
