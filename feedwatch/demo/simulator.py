"""A real WebSocket server on loopback that plays every feed behaviour feedwatch knows.

It backs both `feedwatch demo` and the integration tests, so everything that varies is a
parameter: the seed, every timing, and explicit control calls (stall, drop, reject). What
it serves is up to its caller: the demo line-up is in ``feeds.py``, and
``python -m feedwatch.demo [--port N] [--flood]`` serves it on its own.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from feedwatch.demo.behaviours import Sensor, Ticker
from feedwatch.demo.challenges import NeedsPing, TestRequest
from feedwatch.demo.control import PathControl, PathStats
from feedwatch.demo.hostile import Flapper, Flood, Garbage
from feedwatch.demo.session import Behaviour, Session, check_close

__all__ = [
    "Behaviour",
    "Flapper",
    "Flood",
    "Garbage",
    "NeedsPing",
    "PathStats",
    "Sensor",
    "Simulator",
    "TestRequest",
    "Ticker",
]


@dataclass
class _Route:
    behaviour: Behaviour
    control: PathControl = field(default_factory=PathControl)
    sessions: set[Session] = field(default_factory=set)


class Simulator:
    """One loopback server routing request paths to behaviours, with levers for tests."""

    def __init__(
        self,
        seed: int | None = None,
        *,
        clock: Callable[[], float] = time.time,
        ping_interval: float | None = 20.0,
        compression: str | None = "deflate",
        close_timeout: float = 2.0,
    ) -> None:
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
        self._clock = clock
        self._ping_interval = ping_interval
        self._compression = compression
        self._close_timeout = close_timeout
        self._routes: dict[str, _Route] = {}
        self._server: Server | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None

    # Routing and lifecycle.

    def add(self, path: str, behaviour: Behaviour) -> None:
        """Serve `behaviour` at `path`; allowed before or after start."""
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        if path in self._routes:
            raise ValueError(f"path {path!r} is already simulated")
        self._routes[path] = _Route(behaviour)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(self._routes)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen; port 0 picks a free one, read it back from `port` or `url()`."""
        if self._server is not None:
            raise RuntimeError("simulator already started")
        self._server = await serve(
            self._handle,
            host,
            port,
            process_request=self._screen,
            compression=self._compression,
            ping_interval=self._ping_interval,
            close_timeout=self._close_timeout,
        )
        self._host = host
        self._port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Close every connection (1001) and wait until all their tasks are gone."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        await server.wait_closed()

    async def __aenter__(self) -> Self:
        if self._server is None:
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("simulator not started; await start() first")
        return self._port

    @property
    def base_url(self) -> str:
        return f"ws://{self._host}:{self.port}"

    def url(self, path: str) -> str:
        """The address a client should dial for a simulated path."""
        self._route(path)
        return self.base_url + path

    # Levers.

    def stall(self, path: str) -> None:
        """Stop DATA on the path; sockets stay open and heartbeats continue."""
        self._route(path).control.stall()

    def resume(self, path: str) -> None:
        self._route(path).control.resume()

    def stall_channel(self, path: str, channel: str) -> None:
        """Silence one channel of a multiplexed path while the others carry on."""
        self._route(path).control.stalled_channels.add(channel)

    def resume_channel(self, path: str, channel: str) -> None:
        self._route(path).control.stalled_channels.discard(channel)

    def drop(self, path: str, code: int = 1011, reason: str = "", *, abrupt: bool = False) -> None:
        """Close every live connection on the path; `abrupt` cuts TCP with no close frame."""
        check_close(code, reason)
        for session in list(self._route(path).sessions):
            if abrupt:
                session.abort()
            else:
                session.end(code, reason)

    def reject(self, path: str, status: int = 401, retry_after: int | None = None) -> None:
        """Refuse new handshakes with an HTTP status (and Retry-After, e.g. for 429)."""
        control = self._route(path).control
        control.reject_status = status
        control.retry_after = retry_after

    def accept(self, path: str) -> None:
        control = self._route(path).control
        control.reject_status = None
        control.retry_after = None

    def stats(self, path: str) -> PathStats:
        """A snapshot of what the path has seen, safe to keep while the server runs."""
        route = self._route(path)
        stats = route.control.stats
        return replace(
            stats, subscribes=list(stats.subscribes), open_connections=len(route.sessions)
        )

    # Server callbacks.

    def _route(self, path: str) -> _Route:
        try:
            return self._routes[path]
        except KeyError:
            known = ", ".join(self._routes) or "none"
            raise KeyError(f"no simulated path {path!r} (known: {known})") from None

    def _screen(self, connection: ServerConnection, request: Request) -> Response | None:
        route = self._routes.get(urlsplit(request.path).path)
        if route is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "No simulated feed at this path.\n")
        control = route.control
        if control.reject_status is None:
            return None
        control.stats.rejections += 1
        response = connection.respond(control.reject_status, "Rejected by the simulator.\n")
        if control.retry_after is not None:
            response.headers["Retry-After"] = str(control.retry_after)
        return response

    async def _handle(self, connection: ServerConnection) -> None:
        assert connection.request is not None  # the handshake has completed
        path = urlsplit(connection.request.path).path
        route = self._routes[path]
        index = route.control.stats.connections
        route.control.stats.connections += 1
        # One RNG per connection, so a seed replays each connection whatever the interleaving.
        rng = random.Random(f"{self.seed}:{path}:{index}")
        session = Session(connection, route.control, rng, self._clock)
        route.sessions.add(session)
        try:
            await session.run(route.behaviour)
        finally:
            route.sessions.discard(session)
