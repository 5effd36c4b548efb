"""A real HTTP server on 127.0.0.1 that records every webhook POST it receives."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.waiting import wait_until


@dataclass(frozen=True)
class Received:
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers 200 unless told otherwise; ``statuses`` are used up one per request."""

    requests: list[Received] = field(default_factory=list)
    statuses: deque[int] = field(default_factory=deque)
    delay: float = 0.0
    port: int = 0
    _runner: web.AppRunner | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(
            Received(request.path, request.query_string, dict(request.headers), body)
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=self.statuses.popleft() if self.statuses else 200)

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The first ``count`` requests, waiting for them to arrive."""
        await wait_until(
            lambda: len(self.requests) >= count,
            timeout,
            message=lambda: f"{count} requests at the receiver; {len(self.requests)} came",
        )
        return self.requests[:count]
