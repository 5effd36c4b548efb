"""The HTTP server behind ``[server] listen``: GET /health and GET /metrics."""

from __future__ import annotations

import json
import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from feedwatch.config.model import ServerConfig
from feedwatch.engine.engine import Engine
from feedwatch.outputs.http.health import health_document
from feedwatch.outputs.http.metrics import make_registry

log = logging.getLogger(__name__)


def make_app(engine: Engine) -> web.Application:
    """The aiohttp application; separate from binding so tests can serve it anywhere."""
    registry = make_registry(engine.snapshot)

    async def health(_: web.Request) -> web.Response:
        status, body = health_document(engine.snapshot())
        return web.json_response(body, status=status, dumps=json.dumps)

    async def metrics(_: web.Request) -> web.Response:
        payload = generate_latest(registry)
        return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    return app


class HealthServer:
    """Start/stop wrapper around the aiohttp runner."""

    def __init__(self, engine: Engine, config: ServerConfig) -> None:
        self._engine = engine
        self._config = config
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        runner = web.AppRunner(make_app(self._engine), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self._config.host, self._config.port)
        await site.start()
        self._runner = runner
        addresses = runner.addresses
        self.port = addresses[0][1] if addresses else self._config.port
        log.info("serving /health and /metrics on http://%s:%s", self._config.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
