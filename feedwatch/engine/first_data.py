"""How long a fresh session has for its first data.

The start of a session is its slowest part: a subscribe answered after seconds, snapshots
then acks, a pause before the first update. A threshold learned from the steady flow (a
second, say) would call every such start stale and reconnect it forever. So a session
gets its own allowance from the moment it connects (and, at start, from when watching
began): while it lasts the feed's and each channel's deadline is never before its end, so
a slow start, a pause between snapshots or a channel whose first update comes late is not
called stale; past it the threshold in force counts as ever. A disconnect ends it.

- ``first_data_within`` set: at least that long.
- A learned threshold (stale_after or channel_stale_after = "auto"): at least
  ``FLOOR`` (unless first_data_within says otherwise) and twice the slowest first data
  of the latest ``KEPT`` sessions; each session that still gets nothing in time doubles
  it for the next (up to ``BOOST_MAX`` times), until one delivers. So a learned threshold
  can never leave a healthy feed unable to reconnect.
- Neither: no allowance; a new connection has stale_after like any other moment.
"""

from __future__ import annotations

from collections import deque

from feedwatch.config.model import FeedConfig

FLOOR = 10.0  # seconds: the least a fresh session gets under a learned threshold
KEPT = 16  # sessions whose time to first data is remembered
BOOST_MAX = 64


class FirstData:
    """The allowance of a fresh session, learned from how long this feed's sessions take."""

    __slots__ = ("_boost", "ceiling", "configured", "learns", "recent")

    def __init__(self, config: FeedConfig) -> None:
        self.configured = config.first_data_within
        self.learns = config.learns
        self.ceiling = max(config.auto_max, self.configured or 0.0, FLOOR)
        self.recent: deque[float] = deque(maxlen=KEPT)
        self._boost = 1

    @property
    def active(self) -> bool:
        return self.learns or self.configured is not None

    def allowance(self) -> float | None:
        """Seconds a fresh session has for its first data; None: no allowance at all."""
        if not self.learns:
            return self.configured
        floor = FLOOR if self.configured is None else self.configured
        slowest = max(self.recent, default=0.0)
        return min(self.ceiling, max(floor, 2.0 * slowest) * self._boost)

    def arrived(self, seconds: float) -> None:
        """The session's first data came ``seconds`` after connecting."""
        self.recent.append(max(0.0, seconds))
        self._boost = 1

    def missed(self) -> None:
        """A session got nothing within its allowance: the next one gets twice as long."""
        self._boost = min(BOOST_MAX, self._boost * 2)

    def describe(self) -> str | None:
        """For the detail view: "first data within 12.6s (floor 10s; slowest of 5: 6.3s)"."""
        allowance = self.allowance()
        if allowance is None:
            return None
        if not self.learns:
            return f"first data within {allowance:.3g}s (first_data_within)"
        floor = FLOOR if self.configured is None else self.configured
        parts = [f"floor {floor:.3g}s"]
        if self.recent:
            parts.append(f"slowest of {len(self.recent)}: {max(self.recent):.3g}s")
        if self._boost > 1:
            parts.append(f"x{self._boost} after sessions without data")
        return f"first data within {allowance:.3g}s ({'; '.join(parts)})"
