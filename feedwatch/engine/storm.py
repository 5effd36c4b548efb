"""Reconnect storms: too many reconnects in a sliding window."""

from __future__ import annotations

from collections import deque

from feedwatch.config.model import StormSpec


class StormDetector:
    """Counts reconnects in a window; a storm starts above the limit and ends when a
    whole window passes with no reconnect at all (so it cannot flap at the edge)."""

    def __init__(self, spec: StormSpec) -> None:
        self.spec = spec
        self.active = False
        self._times: deque[float] = deque()

    def _trim(self, now: float) -> None:
        horizon = now - self.spec.window
        while self._times and self._times[0] <= horizon:
            self._times.popleft()

    def record(self, now: float) -> bool:
        """Note a reconnect; True when this one starts a storm."""
        self._times.append(now)
        self._trim(now)
        if not self.active and len(self._times) > self.spec.reconnects:
            self.active = True
            return True
        return False

    def count(self, now: float) -> int:
        self._trim(now)
        return len(self._times)

    def quiet_at(self) -> float | None:
        """When the storm may clear: a full window after the last reconnect."""
        if not self._times:
            return None
        return self._times[-1] + self.spec.window

    def check_clear(self, now: float) -> bool:
        """True when an active storm has just ended."""
        quiet = self.quiet_at()
        if self.active and (quiet is None or now >= quiet):
            self.active = False
            return True
        return False
