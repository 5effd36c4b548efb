"""What a frame is to liveness: data, a heartbeat, a reply, ignored, invalid or a planned close.

It lives with the transports because a transport's reader refines it (an SSE comment is a
heartbeat), and the transports sit below the engine that counts it.
"""

from __future__ import annotations

from enum import IntEnum


class Kind(IntEnum):
    DATA = 0
    HEARTBEAT = 1
    IGNORED = 2
    REPLY = 3
    INVALID = 4  # a rule needed JSON and the frame is not JSON
    PLANNED_CLOSE = 5  # the server announces it will disconnect (planned_close)
