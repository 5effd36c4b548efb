"""The dashboard serves [server] /health and /metrics as headless mode does."""

from __future__ import annotations

import aiohttp

from feedwatch.config.model import Config, ServerConfig
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from feedwatch.tui.factory import build_app
from tests.live import feed, free_port
from tests.waiting import wait_until


async def test_the_dashboard_serves_health_and_metrics() -> None:
    port = free_port()
    async with Simulator(seed=4) as sim:
        sim.add("/a", Ticker(rate=20, require_subscribe=False))
        config = Config(
            feeds=(feed("alpha", sim.url("/a"), stale_after=2.0),),
            server=ServerConfig(host="127.0.0.1", port=port),
        )
        app = build_app(config, refresh_hz=10)
        async with app.run_test(size=(120, 30)), aiohttp.ClientSession() as http:
            await wait_until(lambda: str(app.engine.feed_snapshot("alpha").state) == "live")
            async with http.get(f"http://127.0.0.1:{port}/health") as response:
                assert response.status == 200
                body = await response.json()
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                metrics = await response.text()
        assert [f["name"] for f in body["feeds"]] == ["alpha"]
        assert 'feedwatch_stale{feed="alpha"} 0.0' in metrics


async def test_a_port_in_use_is_a_notification_not_a_crash() -> None:
    async with Simulator(seed=4) as sim:
        sim.add("/a", Ticker(rate=20, require_subscribe=False))
        config = Config(
            feeds=(feed("alpha", sim.url("/a"), stale_after=2.0),),
            server=ServerConfig(host="127.0.0.1", port=sim.port),  # taken by the simulator
        )
        app = build_app(config, refresh_hz=10)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause(0.2)
            messages = [n.message for n in app._notifications]
            assert any(
                m.startswith(f"cannot serve /health on 127.0.0.1:{sim.port}") for m in messages
            )
            assert app.health_server is None
