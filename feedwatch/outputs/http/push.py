"""POST /v1/push/<feed>: a consumer's check-in, the data clock of a ``transport = "push"`` feed.

Each push feed has its own bearer token (``push_token``, compared in constant time); a
check-in without it is 401 and counted, never data. The body is optional: when given it is
read like a WebSocket frame by the feed's own rules (channel_key, event_time, sequence,
value). ``?kind=heartbeat`` marks a check-in that proves the consumer alive but says it
wrote nothing. A feed takes ``push_rate`` check-ins a second (twice that at once); beyond
that the answer is 429 with Retry-After, so a runaway client cannot flood the history.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from feedwatch.engine.engine import Engine, UnknownFeed

PREFIX = "/v1/push/"
KINDS = ("data", "heartbeat")
# The longest a client may take to send its body.
BODY_TIMEOUT = 10.0
_NO_STORE = {"Cache-Control": "no-store"}


def _answer(body: dict[str, Any], status: int, **headers: str) -> web.Response:
    return web.json_response(body, status=status, headers={**_NO_STORE, **headers})


def push_handler(engine: Engine, bearer_matches: Any, named: bool) -> Any:
    """The route's handler; ``named``: an unknown feed may be named (no server token)."""

    async def push(request: web.Request) -> web.Response:
        name = request.match_info["feed"]
        try:
            worker = engine.worker(name)
        except UnknownFeed:
            worker = None
        inbox = None if worker is None else worker.inbox
        if inbox is None:
            if not named:  # a server token guards the names too
                return _unauthorized()
            what = "no feed" if worker is None else "no push feed"
            return _answer({"error": f"{what} named {name!r}"}, 404)
        feed = inbox.feed
        assert feed.push_token is not None
        if not bearer_matches(request.headers.get("Authorization"), feed.push_token):
            inbox.counts.unauthorized += 1
            return _unauthorized()
        kind = request.query.get("kind", "data")
        if kind not in KINDS:
            inbox.counts.rejected += 1
            return _answer({"error": f'kind must be "data" or "heartbeat", found {kind!r}'}, 400)
        wait = inbox.bucket.take(engine.clock.monotonic())
        if wait:
            inbox.counts.limited += 1
            return _answer(
                {"error": f"too many check-ins: at most {feed.push_rate:g} a second"},
                429,
                **{"Retry-After": str(max(1, math.ceil(wait)))},
            )
        limit = feed.max_size
        if request.content_length is not None and request.content_length > limit:
            inbox.counts.rejected += 1
            return _too_large(limit)
        try:
            async with asyncio.timeout(BODY_TIMEOUT):
                body = await _read_at_most(request, limit + 1)
        except TimeoutError:
            inbox.counts.rejected += 1
            return _answer({"error": "the body did not arrive in time"}, 408)
        if len(body) > limit:
            inbox.counts.rejected += 1
            return _too_large(limit)
        if body.strip() and _reads_json(feed) and not _is_json(body):
            inbox.counts.rejected += 1
            return _answer({"error": "the body is not JSON, and this feed's rules read JSON"}, 400)
        inbox.offer(body, kind == "heartbeat")
        return _answer({"accepted": True, "feed": name, "kind": kind}, 202)

    return push


async def _read_at_most(request: web.Request, most: int) -> bytes:
    """The body up to ``most`` bytes: one read returns what has arrived, not the whole body."""
    parts: list[bytes] = []
    size = 0
    while size < most:
        chunk = await request.content.read(most - size)
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def _unauthorized() -> web.Response:
    return _answer(
        {"error": "unauthorized: send Authorization: Bearer <push_token>"},
        401,
        **{"WWW-Authenticate": "Bearer"},
    )


def _too_large(limit: int) -> web.Response:
    return _answer({"error": f"the body is larger than max_size ({limit} bytes)"}, 413)


def _reads_json(feed: Any) -> bool:
    return any(
        getattr(feed, key) is not None for key in ("channel_key", "event_time", "sequence", "value")
    )


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


class PushCollector(Collector):
    """feedwatch_push_checkins_total{feed, outcome}: accepted, unauthorized, limited, rejected."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "feedwatch_push_checkins",
            "Push check-ins by outcome (accepted, unauthorized, limited, rejected)",
            labels=["feed", "outcome"],
        )
        for name, worker in self._engine.workers.items():
            inbox = worker.inbox
            if inbox is None:
                continue
            counts = inbox.counts
            for outcome, value in (
                ("accepted", counts.accepted),
                ("unauthorized", counts.unauthorized),
                ("limited", counts.limited),
                ("rejected", counts.rejected),
            ):
                family.add_metric([name, outcome], value)
        yield family
