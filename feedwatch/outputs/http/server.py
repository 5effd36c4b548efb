"""The HTTP server behind ``[server] listen``: GET /health, /health/<feed> and /metrics,
and POST /v1/push/<feed> where push feeds check in (feedwatch.outputs.http.push).

With ``[server] token`` set, every request but a check-in (which carries its feed's own
``push_token``) needs ``Authorization: Bearer <token>``;
without it the answer is 401 and names nothing (no feed, no route). No response ever
carries a feed's URL, headers or secrets.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from feedwatch.config.model import ServerConfig
from feedwatch.engine.engine import Engine, UnknownFeed
from feedwatch.engine.redact import redact_feed_text
from feedwatch.history.status import HistoryStatus
from feedwatch.outputs.http.health import feed_document, health_document
from feedwatch.outputs.http.metrics import make_registry
from feedwatch.outputs.http.push import PREFIX, PushCollector, push_handler

log = logging.getLogger(__name__)

# A malformed request is said at most once per this many seconds (with how many came).
MALFORMED_EVERY = 10.0


class MalformedRequests(logging.Filter):
    """aiohttp logs every unparseable request as an ERROR with a traceback (hundreds of
    bytes per garbage line, before any token check): make it one short warning line,
    at most one per ``MALFORMED_EVERY`` seconds, saying how many there were."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self._said_at = -MALFORMED_EVERY
        self._since = 0  # malformed requests since the last line

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, HttpProcessingError):
            return True
        self._since += 1
        now = self._clock()
        if now - self._said_at < MALFORMED_EVERY:
            return False
        self._said_at = now
        count, self._since = self._since, 0
        peer = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        first = str(exc.message).splitlines()[0] if exc.message else type(exc).__name__
        record.msg = "malformed HTTP request from %s (%s, %d in the last %gs): answered %s"
        record.args = (peer, first[:80], count, MALFORMED_EVERY, exc.code)
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True


_MALFORMED = MalformedRequests()

# Health answers describe one instant: no cache should keep them.
_NO_STORE = {"Cache-Control": "no-store"}


def _json(body: dict[str, Any], status: int) -> web.Response:
    return web.json_response(body, status=status, dumps=json.dumps, headers=_NO_STORE)


def bearer_matches(header: str | None, token: str) -> bool:
    """Constant-time check of an Authorization header, so timing reveals nothing."""
    scheme, _, given = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    # surrogatepass: a header with undecodable bytes is compared, never a crash.
    return hmac.compare_digest(given.strip().encode(errors="surrogatepass"), token.encode())


def _require_token(token: str) -> Middleware:
    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(PREFIX):
            return await handler(request)  # check-ins carry their feed's own push_token
        if not bearer_matches(request.headers.get("Authorization"), token):
            return web.json_response(
                {"error": "unauthorized: send Authorization: Bearer <token>"},
                status=401,
                headers={"WWW-Authenticate": "Bearer", **_NO_STORE},
            )
        return await handler(request)

    return auth


def make_app(
    engine: Engine,
    token: str | None = None,
    history: Callable[[], HistoryStatus | None] | None = None,
) -> web.Application:
    """The aiohttp application; separate from binding so tests can serve it anywhere.
    ``history`` gives the history file's state, for /health's ``history`` and /metrics."""
    registry = make_registry(engine.snapshot, lambda: engine.alert_outcomes, history)

    def redact(feed: str, text: str) -> str:
        return redact_feed_text(text, engine.worker(feed).config)

    async def health(_: web.Request) -> web.Response:
        status, body = health_document(
            engine.snapshot(), redact, None if history is None else history()
        )
        return _json(body, status)

    async def one_feed(request: web.Request) -> web.Response:
        name = request.match_info["feed"]
        try:
            snapshot = engine.feed_snapshot(name)
        except UnknownFeed as exc:
            return _json({"error": str(exc)}, 404)
        status, body = feed_document(snapshot, redact)
        return _json(body, status)

    async def metrics(_: web.Request) -> web.Response:
        payload = generate_latest(registry)
        return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application(middlewares=[_require_token(token)] if token else [])
    app.router.add_get("/health", health)
    # Any text after /health/ is looked up as a feed name (names may hold "/"): never a file.
    app.router.add_get("/health/{feed:.+}", one_feed)
    app.router.add_get("/metrics", metrics)
    if any(worker.inbox is not None for worker in engine.workers.values()):
        registry.register(PushCollector(engine))
        app.router.add_post(PREFIX + "{feed:.+}", push_handler(engine, bearer_matches, not token))
    return app


class HealthServer:
    """Start/stop wrapper around the aiohttp runner."""

    def __init__(
        self,
        engine: Engine,
        config: ServerConfig,
        history: Callable[[], HistoryStatus | None] | None = None,
    ) -> None:
        self._engine = engine
        self._config = config
        self._history = history
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        server_log = logging.getLogger("aiohttp.server")
        if _MALFORMED not in server_log.filters:
            server_log.addFilter(_MALFORMED)
        app = make_app(self._engine, self._config.token, self._history)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self._config.host, self._config.port)
        await site.start()
        self._runner = runner
        addresses = runner.addresses
        self.port = addresses[0][1] if addresses else self._config.port
        log.info(
            "serving /health and /metrics on http://%s:%s%s",
            self._config.host,
            self.port,
            " (bearer token required)" if self._config.token else "",
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
