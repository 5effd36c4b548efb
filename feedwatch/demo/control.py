"""The levers and counters of one simulated path, shared by all its connections."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class PathStats:
    """What a path has seen, so tests can assert on what the client actually did."""

    connections: int = 0
    subscribes: list[str] = field(default_factory=list)
    app_pings: int = 0
    replies: int = 0
    open_connections: int = 0
    # Every frame sent (data, heartbeats, acks, pongs, junk) and the valid DATA among them.
    messages_sent: int = 0
    data_sent: int = 0
    rejections: int = 0


class PathControl:
    """Switches a test flips on a path (stall, reject, dead channels) and its running stats."""

    def __init__(self) -> None:
        self.stats = PathStats()
        self.stalled_channels: set[str] = set()
        self.reject_status: int | None = None
        self.retry_after: int | None = None
        # Set while data may flow; cleared by a stall. Heartbeats ignore it.
        self._flowing = asyncio.Event()
        self._flowing.set()

    @property
    def stalled(self) -> bool:
        return not self._flowing.is_set()

    def stall(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    async def wait_flowing(self) -> None:
        """Block a data producer until the path is resumed."""
        await self._flowing.wait()
