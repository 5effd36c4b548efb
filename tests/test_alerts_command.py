"""Command alerts run a real program: no shell, the alert in its env and on its stdin,
its exit status in the `alert` event, and a kill when it outlives its timeout."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from feedwatch.alerts.router import AlertRouter
from feedwatch.config.model import AlertChannel, Config, FeedConfig
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind

FEED = FeedConfig(name="iot-greenhouse", url="ws://127.0.0.1:1/iot", stale_after=60.0)

# Writes its FEEDWATCH_* environment, its stdin and its argv to the file named in argv[1].
RECORD = """
import json, os, sys
record = {
    "env": {k: v for k, v in os.environ.items() if k.startswith("FEEDWATCH_")},
    "stdin": sys.stdin.read(),
    "argv": sys.argv[1:],
}
with open(sys.argv[1], "w") as f:
    json.dump(record, f)
sys.exit(int(os.environ.get("EXIT_WITH", "0")))
"""


async def run_alert(channel: AlertChannel, *events: Event) -> list[Event]:
    """Play events into an engine with one alert channel; the `alert` events that result."""
    engine = Engine(Config(feeds=(FEED,), alerts=(channel,)))
    seen: list[Event] = []
    engine.bus.subscribe(seen.append)
    router = AlertRouter(engine)
    await router.start()
    try:
        for event in events:
            engine.bus.emit(event)
        await router.flush()
    finally:
        await router.stop()
    return [e for e in seen if e.kind is EventKind.ALERT]


def stale() -> Event:
    return Event(time.time(), FEED.name, EventKind.STALE, fields={"stale_after_seconds": 60.0})


async def test_a_command_gets_the_alert_in_its_env_and_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "alert.json"
    # A shell would expand this; argv is passed as written.
    channel = AlertChannel(
        type="command",
        name="pager",
        argv=(sys.executable, "-c", RECORD, str(out), "$(touch pwned); $HOME"),
    )
    (event,) = await run_alert(channel, stale())
    assert event.fields["outcome"] == "sent"
    assert event.fields["exit_code"] == 0
    record = json.loads(out.read_text())
    env = record["env"]
    assert env["FEEDWATCH_FEED"] == "iot-greenhouse"
    assert env["FEEDWATCH_CHANNEL"] == ""
    assert env["FEEDWATCH_CONDITION"] == "stale"
    assert env["FEEDWATCH_STATE"] == "connecting"  # never connected in this test
    assert env["FEEDWATCH_MESSAGE"].startswith("iot-greenhouse is stale: no data for ")
    assert abs(float(env["FEEDWATCH_TS"]) - time.time()) < 10
    assert float(env["FEEDWATCH_AGE_SECONDS"]) >= 0
    payload = json.loads(record["stdin"])
    assert payload["feed"] == "iot-greenhouse"
    assert payload["condition"] == "stale"
    assert payload["message"] == env["FEEDWATCH_MESSAGE"]
    assert payload["alert_channel"] == "pager"
    assert record["argv"][1] == "$(touch pwned); $HOME"
    assert not (tmp_path / "pwned").exists()


async def test_a_failing_command_reports_its_exit_status(tmp_path: Path) -> None:
    script = "import sys; print('pager service said no', file=sys.stderr); sys.exit(3)"
    channel = AlertChannel(type="command", name="pager", argv=(sys.executable, "-c", script))
    (event,) = await run_alert(channel, stale())
    assert event.fields["outcome"] == "failed"
    assert event.fields["exit_code"] == 3
    assert event.fields["error"] == "exited with status 3: pager service said no"


async def test_a_command_that_hangs_is_killed_at_its_timeout() -> None:
    script = "import time; time.sleep(30)"
    channel = AlertChannel(
        type="command", name="pager", argv=(sys.executable, "-c", script), timeout=0.5
    )
    started = time.monotonic()
    (event,) = await run_alert(channel, stale())
    assert time.monotonic() - started < 5
    assert event.fields["outcome"] == "timeout"
    assert event.fields["error"] == "still running after 0.5s; killed"
    assert event.fields["exit_code"] < 0  # ended by a signal


async def test_a_missing_program_is_a_failed_alert_not_a_crash() -> None:
    channel = AlertChannel(type="command", name="pager", argv=("/nonexistent/page-me",))
    (event,) = await run_alert(channel, stale())
    assert event.fields["outcome"] == "failed"
    assert event.fields["error"].startswith("cannot run /nonexistent/page-me: ")
