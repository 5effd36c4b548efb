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
            await wait_until(lambda: str(app.view.feed_snapshot("alpha").state) == "live")
            async with http.get(f"http://127.0.0.1:{port}/health") as response:
                assert response.status == 200
                body = await response.json()
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                metrics = await response.text()
        assert [f["name"] for f in body["feeds"]] == ["alpha"]
        assert 'feedwatch_stale{feed="alpha"} 0.0' in metrics


async def test_a_port_in_use_ends_the_dashboard_with_status_2_as_headless_does() -> None:
    """One runtime, one failure rule: a monitor nobody can reach must not look fine."""
    async with Simulator(seed=4) as sim:
        sim.add("/a", Ticker(rate=20, require_subscribe=False))
        config = Config(
            feeds=(feed("alpha", sim.url("/a"), stale_after=2.0),),
            server=ServerConfig(host="127.0.0.1", port=sim.port),  # taken by the simulator
        )
        app = build_app(config, refresh_hz=10)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause(0.2)
        assert app.return_code == 2
        assert app.start_failure is not None
        assert app.start_failure.startswith(f"cannot serve /health on 127.0.0.1:{sim.port}")
        assert app.runtime is not None and app.runtime.engine.workers["alpha"].monitor.messages == 0
