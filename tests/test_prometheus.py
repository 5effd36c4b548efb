"""The Prometheus path: promtool accepts what feedwatch serves and ships, and a real
Prometheus scraping a real feedwatch fires the shipped staleness alert."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from feedwatch.config.model import MatcherSpec, ServerConfig
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from feedwatch.outputs.http.server import HealthServer
from tests.live import Running, feed, free_port
from tests.waiting import wait_until

CONTRIB = Path(__file__).resolve().parent.parent / "contrib" / "prometheus"
RULES = CONTRIB / "feedwatch-rules.yml"
EXAMPLE_CONFIG = CONTRIB / "prometheus.yml"
PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
INSTALL = "install Debian's prometheus package (apt-get install prometheus); .ci/run does"
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason=f"promtool not found: {INSTALL}")
needs_prometheus = pytest.mark.skipif(PROMETHEUS is None, reason=f"prometheus not found: {INSTALL}")
TOKEN = "scrape-token-5d2c"
HEARTBEAT = MatcherSpec(contains=('"event":"heartbeat"',))


class PromtoolLint(UserWarning):
    """promtool's lint remarks on the exposition: reported, not fatal."""


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], input=stdin, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=31) as simulator:
        simulator.add("/live", Ticker(rate=20, require_subscribe=False))
        simulator.add("/mux", Ticker(rate=40, channels=["x", "y"], require_subscribe=False))
        simulator.add("/stalling", Ticker(rate=20, require_subscribe=False, heartbeat_every=0.2))
        yield simulator


@needs_promtool
def test_shipped_rules_pass_promtool() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 7 rules found" in result.stdout


@needs_promtool
def test_shipped_prometheus_config_passes_promtool(tmp_path: Path) -> None:
    # The example points at /etc paths; check it against copies where they really exist.
    shutil.copy(RULES, tmp_path / "feedwatch-rules.yml")
    (tmp_path / "feedwatch.token").write_text(TOKEN)
    text = EXAMPLE_CONFIG.read_text()
    text = text.replace("/etc/prometheus/rules/", f"{tmp_path}/")
    text = text.replace("/etc/prometheus/", f"{tmp_path}/")
    config = tmp_path / "prometheus.yml"
    config.write_text(text)
    result = promtool("check", "config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
async def test_a_real_scrape_passes_promtool_check_metrics(sim: Simulator) -> None:
    feeds = (
        feed("live", sim.url("/live")),
        feed("mux", sim.url("/mux"), channel_key="stream", channels=("x", "y")),
        feed("stalling", sim.url("/stalling"), heartbeat=HEARTBEAT),
    )
    sim.stall("/stalling")  # a stale feed with heartbeats: every family has samples
    async with Running(*feeds) as run:
        server = HealthServer(run.engine, ServerConfig(host="127.0.0.1", port=0))
        await server.start()
        try:
            await wait_until(
                lambda: run.state("mux") == "live" and run.state("stalling") == "stale"
            )
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{server.port}/metrics") as response,
            ):
                exposition = await response.text()
        finally:
            await server.stop()
    assert 'feedwatch_last_message_timestamp_seconds{channel="x",feed="mux"}' in exposition
    result = await asyncio.to_thread(promtool, "check", "metrics", stdin=exposition)
    # promtool exits 1 when it cannot parse the exposition, 3 when it only has lint remarks.
    assert result.returncode in (0, 3), result.stderr
    if result.returncode == 3:
        warnings.warn(PromtoolLint(f"promtool check metrics:\n{result.stdout}"), stacklevel=1)


def fast_rules(text: str) -> str:
    """The shipped rules with every `for:` cut to 1s; the expressions stay byte for byte."""
    fast, count = re.subn(r"(?m)^(\s+for:) \S+$", r"\1 1s", text)
    assert count == text.count("- alert:"), "every shipped rule should have a for:"
    return fast


class Prometheus:
    """A real Prometheus on 127.0.0.1 with its own storage, stopped at exit."""

    def __init__(self, workdir: Path, target: str, rules: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        token_file = workdir / "feedwatch.token"
        token_file.write_text(TOKEN)
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(rules)],
            "scrape_configs": [
                {
                    "job_name": "feedwatch",
                    "authorization": {"type": "Bearer", "credentials_file": str(token_file)},
                    "static_configs": [{"targets": [target]}],
                }
            ],
        }
        self.config = workdir / "prometheus.yml"
        self.config.write_text(json.dumps(config, indent=2))  # JSON is YAML
        self.proc: asyncio.subprocess.Process | None = None
        self.log = workdir / "prometheus.log"

    async def __aenter__(self) -> Prometheus:
        assert PROMETHEUS is not None
        with self.log.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                PROMETHEUS,
                f"--config.file={self.config}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
                stdout=log,
                stderr=log,
            )
        try:
            await wait_until(
                self._ready,
                timeout=20,
                interval=0.1,
                message=lambda: f"Prometheus to be ready; its log:\n{self.log.read_text()}",
            )
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def _ready(self) -> bool:
        assert self.proc is not None
        assert self.proc.returncode is None, f"prometheus exited: {self.log.read_text()}"
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{self.port}/-/ready") as response,
            ):
                return response.status == 200
        except aiohttp.ClientError:
            return False

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    async def alerts(self) -> list[dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{self.port}/api/v1/alerts") as response,
        ):
            doc = await response.json()
        assert doc["status"] == "success", doc
        alerts: list[dict[str, Any]] = doc["data"]["alerts"]
        return alerts

    async def wait_for_alert(self, name: str, feed: str | None, timeout: float) -> list[dict]:
        """Every alert seen until ``name`` fires (for ``feed``), so callers check the rest."""
        seen: list[dict[str, Any]] = []
        latest: list[dict[str, Any]] = []

        async def firing() -> bool:
            latest[:] = await self.alerts()
            seen.extend(latest)
            return any(
                alert["labels"]["alertname"] == name
                and alert["labels"].get("feed") == feed
                and alert["state"] == "firing"
                for alert in latest
            )

        await wait_until(
            firing,
            timeout=timeout,
            interval=0.25,
            message=lambda: f"{name} to fire for {feed}; alerts: {latest}\n{self.log.read_text()}",
        )
        return seen


@needs_prometheus
async def test_real_prometheus_fires_the_shipped_staleness_alert(
    sim: Simulator, tmp_path: Path
) -> None:
    shipped = RULES.read_text()
    rules = tmp_path / "feedwatch-rules.yml"
    rules.write_text(fast_rules(shipped))
    drop_for = re.compile(r"(?m)^\s+for: .*\n")
    assert drop_for.sub("", rules.read_text()) == drop_for.sub("", shipped)

    feeds = (
        feed("live", sim.url("/live"), 1.0),
        feed("stalling", sim.url("/stalling"), 1.0, heartbeat=HEARTBEAT),
    )
    async with Running(*feeds) as run:
        server = HealthServer(run.engine, ServerConfig(host="127.0.0.1", port=0, token=TOKEN))
        await server.start()
        try:
            await wait_until(
                lambda: run.state("live") == "live" and run.state("stalling") == "live"
            )
            async with Prometheus(tmp_path, f"127.0.0.1:{server.port}", rules) as prometheus:
                sim.stall("/stalling")  # heartbeats go on; only the data stops
                seen = await prometheus.wait_for_alert("FeedwatchFeedStale", "stalling", 30)
                firing = next(
                    a
                    for a in await prometheus.alerts()
                    if a["labels"]["alertname"] == "FeedwatchFeedStale" and a["state"] == "firing"
                )
                assert firing["labels"]["severity"] == "critical"
                assert firing["labels"]["job"] == "feedwatch"
                assert firing["annotations"]["summary"].startswith(
                    "Feed stalling has sent no data for "
                )
                # The healthy feed never alarmed, and the scrapes (with the token) worked.
                assert not [a for a in seen if a["labels"].get("feed") == "live"]
                assert not [a for a in seen if a["labels"]["alertname"] == "FeedwatchExporterDown"]

                await server.stop()  # feedwatch gone: the exporter rule takes over
                await prometheus.wait_for_alert("FeedwatchExporterDown", None, 30)
        finally:
            await server.stop()
