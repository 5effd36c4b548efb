"""Webhooks POSTed to a real HTTP server on 127.0.0.1: every format's body, retries,
timeouts, the metrics line over real HTTP, and secrets kept out of everything shown."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from feedwatch.alerts.router import AlertRouter
from feedwatch.config.loader import load_config
from feedwatch.config.model import AlertChannel, Config, FeedConfig, ServerConfig
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind
from feedwatch.outputs.http.server import HealthServer
from tests.alert_receiver import Received, Receiver
from tests.test_http import get

FEED = FeedConfig(name="binance-btc", url="ws://127.0.0.1:1/btc", stale_after=30.0)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as r:
        yield r


def hook(receiver: Receiver, name: str = "hook", **changes: object) -> AlertChannel:
    base = AlertChannel(type="webhook", name=name, url=receiver.url(f"/{name}"), timeout=2.0)
    return replace(base, **changes)  # type: ignore[arg-type]


class Watching:
    """A real-time engine (not connected anywhere) with a router; events are played in."""

    def __init__(self, *channels: AlertChannel, config: Config | None = None) -> None:
        self.engine = Engine(config or Config(feeds=(FEED,), alerts=channels))
        self.router = AlertRouter(self.engine)
        self.events: list[Event] = []
        self.engine.bus.subscribe(self.events.append)

    async def __aenter__(self) -> Watching:
        await self.router.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.router.stop()

    def play(self, kind: EventKind, reason: str | None = None, **fields: object) -> None:
        """An engine event as a feed's monitor would emit it."""
        self.engine.bus.emit(Event(time.time(), FEED.name, kind, reason=reason, fields=fields))

    def alerts(self) -> list[Event]:
        return [e for e in self.events if e.kind is EventKind.ALERT]


async def test_json_webhook_posts_the_alert_and_its_recovery(receiver: Receiver) -> None:
    channel = hook(receiver, headers=(("X-Team", "markets"),))
    async with Watching(channel) as w:
        w.play(EventKind.STALE, stale_after_seconds=30.0)
        w.play(EventKind.RECOVERED)
        await w.router.flush()
    stale, recovered = await receiver.wait(2)
    assert stale.path == "/hook"
    assert stale.headers["Content-Type"] == "application/json"
    assert stale.headers["X-Team"] == "markets"
    body = stale.json()
    assert {
        "feed", "channel", "condition", "state", "message", "ts", "last_signal_age_seconds",
    } <= body.keys()  # fmt: skip
    assert body["feed"] == "binance-btc"
    assert body["channel"] is None
    assert body["condition"] == "stale"
    assert body["active"] is True
    assert body["alert_channel"] == "hook"
    assert body["message"].startswith("binance-btc is stale: no data for ")
    assert isinstance(body["last_signal_age_seconds"], float)
    assert abs(body["ts"] - time.time()) < 5
    again = recovered.json()
    assert (again["condition"], again["recovered_from"], again["active"]) == (
        "recovered",
        "stale",
        False,
    )
    outcomes = [
        (e.fields["condition"], e.fields["outcome"], e.fields["status"]) for e in w.alerts()
    ]
    assert outcomes == [("stale", "sent", 200), ("recovered", "sent", 200)]


async def test_slack_discord_and_ntfy_get_their_own_shapes(receiver: Receiver) -> None:
    channels = (
        hook(receiver, "slack", format="slack"),
        hook(receiver, "discord", format="discord"),
        hook(receiver, "ntfy", format="ntfy"),
    )
    async with Watching(*channels) as w:
        w.play(EventKind.STORM, active=True, reason="6 reconnects within 600s (limit 5)")
        await w.router.flush()
        w.play(EventKind.STORM, active=False)
        await w.router.flush()
    by_path: dict[str, list[Received]] = {}
    for request in await receiver.wait(6):  # each channel delivers in order
        by_path.setdefault(request.path, []).append(request)
    message = "binance-btc: reconnect storm (6 reconnects within 600s (limit 5))"
    slack = [r.json() for r in by_path["/slack"]]
    assert list(slack[0]) == ["text"]
    assert message in slack[0]["text"]
    assert "reconnect storm over" in slack[1]["text"]
    discord = [r.json() for r in by_path["/discord"]]
    assert list(discord[0]) == ["content"]
    assert message in discord[0]["content"]
    start, end = by_path["/ntfy"]
    assert start.body.decode() == message
    assert start.headers["Content-Type"].startswith("text/plain")
    assert start.headers["Title"] == "feedwatch: binance-btc storm"
    assert start.headers["Priority"] == "urgent"
    assert start.headers["Tags"] == "rotating_light,storm"
    assert end.headers["Priority"] == "default"
    assert end.headers["Tags"] == "white_check_mark,storm"
    assert end.body.decode().startswith("binance-btc: reconnect storm over after ")


async def test_a_500_is_retried_and_then_delivered(receiver: Receiver) -> None:
    receiver.statuses.extend([500])
    async with Watching(hook(receiver, retries=3)) as w:
        w.play(EventKind.DOWN, active=True, reason="connection refused")
        await w.router.flush()
    first, second = receiver.requests
    assert first.body == second.body
    (event,) = w.alerts()
    assert event.fields["outcome"] == "sent"
    assert event.fields["attempts"] == 2
    assert event.fields["status"] == 200
    assert w.engine.alert_outcomes[("hook", "sent")] == 1


async def test_a_client_error_is_not_retried(receiver: Receiver) -> None:
    receiver.statuses.extend([404])
    async with Watching(hook(receiver, retries=3)) as w:
        w.play(EventKind.STALE)
        await w.router.flush()
    (event,) = w.alerts()
    assert (event.fields["outcome"], event.fields["attempts"]) == ("failed", 1)
    assert event.fields["error"] == "HTTP 404 Not Found"
    assert event.describe() == "binance-btc: alert (stale via hook: failed (HTTP 404 Not Found))"


async def test_a_silent_webhook_times_out_is_counted_and_delays_nobody_else(
    receiver: Receiver,
) -> None:
    receiver.delay = 3.0
    slow = hook(receiver, "slow", timeout=0.3, retries=1)
    async with Receiver() as other, Watching(slow, hook(other, "fast")) as w:
        w.play(EventKind.STALE)
        await other.wait(1, timeout=0.5)  # the fast channel did not wait for the slow one
        await w.router.flush()
    outcomes = {e.fields["alert_channel"]: e.fields for e in w.alerts()}
    assert outcomes["slow"]["outcome"] == "timeout"
    assert outcomes["slow"]["attempts"] == 2
    assert outcomes["fast"]["outcome"] == "sent"
    assert w.engine.alert_outcomes[("slow", "timeout")] == 1


async def test_alert_counts_are_served_on_metrics(receiver: Receiver) -> None:
    receiver.statuses.extend([400])
    async with Watching(hook(receiver, "ops-hook")) as w:
        server = HealthServer(w.engine, ServerConfig(host="127.0.0.1", port=0))
        await server.start()
        try:
            w.play(EventKind.STALE)
            w.play(EventKind.RECOVERED)
            await w.router.flush()
            assert server.port
            _, _, text = await get(server.port, "/metrics")
        finally:
            await server.stop()
    assert 'feedwatch_alerts_total{channel="ops-hook",outcome="sent"} 1.0' in text
    assert 'feedwatch_alerts_total{channel="ops-hook",outcome="failed"} 1.0' in text
    assert "# TYPE feedwatch_alerts_total counter" in text


async def test_secrets_stay_out_of_events_and_payloads(receiver: Receiver, tmp_path: Path) -> None:
    secret = "s3cr3t-hook-token-4242"
    path = tmp_path / "feedwatch.toml"
    path.write_text(
        f"""
[[feeds]]
name = "binance-btc"
url = "ws://127.0.0.1:1/btc?listenKey=${{FEED_KEY}}"
stale_after = "30s"

[[alerts]]
type = "webhook"
name = "hook"
url = "{receiver.url("/hook")}?token=${{HOOK_TOKEN}}"
headers = {{ Authorization = "Bearer ${{HOOK_TOKEN}}" }}
retries = 0

[[alerts]]
type = "webhook"
name = "refused"
url = "http://127.0.0.1:1/${{HOOK_TOKEN}}"
retries = 0
"""
    )
    config = load_config(path, environ={"HOOK_TOKEN": secret, "FEED_KEY": "feed-key-777777"})
    receiver.statuses.extend([500])
    async with Watching(config=config) as w:
        # Even a reason that quotes a secret is redacted in the alert built from it.
        w.play(EventKind.DOWN, reason=f"HTTP 401 for key {secret}", active=True)
        await w.router.flush()
    (request,) = await receiver.wait(1)
    assert request.headers["Authorization"] == f"Bearer {secret}"  # delivered, never shown
    assert request.query == f"token={secret}"
    body = request.json()
    assert body["message"] == "binance-btc is down: cannot connect (HTTP 401 for key ***)"
    alerts = w.alerts()
    assert {e.fields["alert_channel"]: e.fields["outcome"] for e in alerts} == {
        "hook": "failed",
        "refused": "failed",
    }
    shown = json.dumps([e.to_json() for e in alerts]) + "".join(e.describe() for e in alerts)
    assert secret not in shown
    assert "feed-key-777777" not in shown
