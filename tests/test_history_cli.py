"""`feedwatch history`, `incidents` and `uptime` as a user runs them, on a recorded file."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from feedwatch.config.paths import state_dir
from feedwatch.engine.events import Event, EventKind
from tests.history_fixtures import (
    ROOT,
    Recording,
    channel_stale_for_half_a_minute,
    feed,
    headless,
    reconnecting,
    recovered,
    stale,
)

START = float(math.floor(time.time() / 60) * 60 - 3600)  # an hour ago, on the minute


def feedwatch(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedwatch", *args],
        capture_output=True, text=True, check=check, cwd=ROOT, timeout=60,
    )  # fmt: skip


def local(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def record(db: Path) -> list[Event]:
    """An hour-old session of 100 s: btc stale for 30 s with 2 reconnects; eth stays stale."""
    r = Recording(db, feed("btc"), feed("eth"), at=START)
    events = [
        stale(r, 10, "btc"),
        reconnecting(r, 11, "btc", 1),
        reconnecting(r, 13, "btc", 2),
        recovered(r, 40, "btc"),
        stale(r, 90, "eth"),
        r.emit(95, "eth", EventKind.ALERT, reason="stale via ops: failed (HTTP 500)",
               fields={"alert_channel": "ops", "condition": "stale", "outcome": "failed",
                       "attempts": 4, "status": 500}),
    ]  # fmt: skip
    r.clock.advance_to(1100)
    r.close()
    return events


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "feedwatch.toml"
    path.write_text(
        '[history]\npath = "history.db"\n\n'
        '[[feeds]]\nname = "btc"\nurl = "ws://127.0.0.1:9/btc"\nstale_after = "5s"\n\n'
        '[[feeds]]\nname = "eth"\nurl = "ws://127.0.0.1:9/eth"\nstale_after = "5s"\n'
    )
    return path


def test_history_json_is_exactly_the_headless_event_shape(config: Path) -> None:
    events = record(config.parent / "history.db")
    out = feedwatch("history", "--config", str(config), "--json").stdout
    expected = [json.dumps(e.to_json(), separators=(", ", ": ")) for e in events]
    assert out.splitlines() == expected
    assert json.loads(out.splitlines()[0]) == {
        "ts": START + 10, "feed": "btc", "event": "stale", "reason": "no data for 5s",
        "age_seconds": 5.0, "stale_after_seconds": 5.0, "connected": True,
        "last_heartbeat_age_seconds": None,
    }  # fmt: skip


def test_history_plain_is_one_readable_line_per_event_with_severity(config: Path) -> None:
    record(config.parent / "history.db")
    out = feedwatch("history", "--config", str(config), "--feed", "btc").stdout
    assert out.splitlines() == [
        f"{local(START + 10)}  ERROR  btc: stale: no data for 5.00s (threshold 5s)",
        f"{local(START + 11)}  info   btc: reconnecting in 0.5s (stale: no data)",
        f"{local(START + 13)}  info   btc: reconnecting in 1s (stale: no data)",
        f"{local(START + 40)}  info   btc: recovered after 40.00s without data",
    ]
    alert = feedwatch("history", "--config", str(config), "--feed", "eth").stdout.splitlines()
    assert alert[-1] == f"{local(START + 95)}  WARN   eth: alert (stale via ops: failed (HTTP 500))"


def test_history_since_keeps_only_what_is_recent(config: Path) -> None:
    record(config.parent / "history.db")
    out = feedwatch("history", "--config", str(config), "--since", "30m").stdout
    assert out.startswith("no events since ")
    assert feedwatch("history", "--config", str(config), "--since", "30m", "--json").stdout == ""


def test_incidents_json_has_the_contract_fields(config: Path) -> None:
    record(config.parent / "history.db")
    out = feedwatch("incidents", "--config", str(config), "--json").stdout
    assert [json.loads(line) for line in out.splitlines()] == [
        {"feed": "btc", "channel": None, "kind": "stale", "start": START + 10,
         "end": START + 40, "duration_seconds": 30.0, "cause": "no data for 5s",
         "reconnects": 2},
        {"feed": "eth", "channel": None, "kind": "stale", "start": START + 90, "end": None,
         "duration_seconds": None, "cause": "no data for 5s", "reconnects": 0},
    ]  # fmt: skip


def test_incidents_plain_is_an_aligned_table_with_human_durations(config: Path) -> None:
    record(config.parent / "history.db")
    lines = feedwatch("incidents", "--config", str(config)).stdout.splitlines()
    assert lines[0].split() == [
        "FEED", "CHANNEL", "KIND", "START", "END", "DURATION", "RECONNECTS", "CAUSE",
    ]  # fmt: skip
    assert lines[1].startswith("btc ") and lines[2].startswith("eth ")
    assert lines[1].index("stale") == lines[2].index("stale") == lines[0].index("KIND")
    assert f"stale  {local(START + 10)}  {local(START + 40)}  30s" in lines[1]
    assert re.search(r"  open  +(\d+m|1h)( \d+[sm])? so far  ", lines[2])  # about an hour
    assert lines[1].index("no data") == lines[2].index("no data") == lines[0].index("CAUSE")


def test_uptime_is_live_time_over_monitored_time_per_feed(config: Path) -> None:
    record(config.parent / "history.db")
    lines = feedwatch("uptime", "--config", str(config)).stdout.splitlines()
    assert lines[0].split() == [
        "FEED", "UPTIME", "NOT", "LIVE", "MONITORED", "QUIET", "PAUSED", "INCIDENTS",
    ]  # fmt: skip
    assert lines[1].split() == ["btc", "70.00%", "30s", "1m", "40s", "0s", "0s", "1"]
    assert lines[2].split() == ["eth", "90.00%", "10s", "1m", "40s", "0s", "0s", "1"]


def test_a_feed_in_the_config_that_no_run_watched_has_no_figure(config: Path) -> None:
    record(config.parent / "history.db")
    with config.open("a") as toml:
        toml.write('\n[[feeds]]\nname = "new"\nurl = "ws://127.0.0.1:9/new"\nstale_after = "5s"\n')
    lines = feedwatch("uptime", "--config", str(config)).stdout.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["btc", "eth", "new"]
    assert lines[3].split() == ["new", "—", "0s", "0s", "0s", "0s", "0"]


def test_a_stale_channel_is_partial_time_not_live_and_an_incident_of_the_feed(
    tmp_path: Path,
) -> None:
    config = tmp_path / "feedwatch.toml"
    config.write_text(
        '[history]\npath = "history.db"\n\n'
        '[[feeds]]\nname = "mux"\nurl = "ws://127.0.0.1:9/mux"\nstale_after = "5s"\n'
        'channel_key = "ch"\nchannels = ["btc", "sol"]\n'
    )
    channel_stale_for_half_a_minute(tmp_path / "history.db", at=START)
    lines = feedwatch("uptime", "--config", str(config)).stdout.splitlines()
    # 31 s not live (half a second connecting, 30.5 s partial); one incident of its own.
    assert lines[1].split() == ["mux", "69.00%", "31s", "1m", "40s", "0s", "0s", "1"]

    table = feedwatch("incidents", "--config", str(config)).stdout.splitlines()
    header, of_channel, of_feed = table
    assert of_channel.split()[:3] == ["mux", "sol", "stale"]
    assert of_feed.startswith("mux ")
    assert of_feed[header.index("KIND") :].startswith(f"partial  {local(START + 24.5)}")
    assert of_feed.split()[6:] == ["30s", "0", "1", "of", "2", "channels", "live;", "stale:", "sol"]
    out = feedwatch("incidents", "--config", str(config), "--json").stdout
    assert [json.loads(line) for line in out.splitlines()] == [
        {"feed": "mux", "channel": "sol", "kind": "stale", "start": START + 24.5,
         "end": START + 55, "duration_seconds": 30.5, "cause": "no data on channel for 5s",
         "reconnects": 0},
        {"feed": "mux", "channel": None, "kind": "partial", "start": START + 24.5,
         "end": START + 55, "duration_seconds": 30.5,
         "cause": "1 of 2 channels live; stale: sol", "reconnects": 0},
    ]  # fmt: skip


def test_without_a_config_the_default_history_file_is_read() -> None:
    record(state_dir() / "history.db")
    out = feedwatch("incidents", "--json").stdout
    assert [json.loads(line)["feed"] for line in out.splitlines()] == ["btc", "eth"]


def test_nothing_recorded_yet_is_said_not_failed() -> None:
    result = feedwatch("history")
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"feedwatch: no history recorded at {state_dir() / 'history.db'} yet"
    )


def test_demo_reads_the_history_the_demo_recorded() -> None:
    record(state_dir() / "demo-history.db")  # where `feedwatch demo` records
    missing = feedwatch("incidents")
    assert "no history recorded" in missing.stderr
    assert "read it with `feedwatch incidents --demo`" in missing.stderr
    out = feedwatch("incidents", "--demo", "--json").stdout
    assert [json.loads(line)["feed"] for line in out.splitlines()] == ["btc", "eth"]
    assert "btc" in feedwatch("uptime", "--demo").stdout


def test_history_path_reads_any_history_file(tmp_path: Path) -> None:
    record(tmp_path / "copied.db")
    out = feedwatch("history", "--history", str(tmp_path / "copied.db"), "--feed", "btc").stdout
    assert "btc: stale" in out
    both = feedwatch("uptime", "--demo", "--history", "x.db", check=False)
    assert both.returncode == 2
    assert "not allowed with argument" in both.stderr


def test_a_bad_since_is_a_usage_error(config: Path) -> None:
    result = feedwatch("uptime", "--config", str(config), "--since", "a week", check=False)
    assert result.returncode == 2
    assert "--since: expected a duration" in result.stderr


def test_headless_output_and_history_json_are_the_same_lines(tmp_path: Path) -> None:
    proc = headless(tmp_path, "history.db", "300ms", stdout=subprocess.PIPE)
    assert proc.stdout is not None
    seen = []
    while not any('"event": "stale"' in line for line in seen):
        seen.append(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGTERM)
    printed = seen + proc.stdout.readlines()
    assert proc.wait(timeout=10) == 0
    config = str(tmp_path / "feedwatch.toml")
    recorded = feedwatch("history", "--config", config, "--json").stdout
    assert recorded.splitlines() == [line.rstrip("\n") for line in printed]
