"""Log injection: a server's words cannot forge a log line or reach the terminal raw
(issue 16, point 15). The real console script, headless, against a real server whose close
reason carries a newline, a forged log line and terminal escapes."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from websockets.asyncio.server import ServerConnection, serve

from feedwatch.engine.events import Event, EventKind
from feedwatch.engine.printable import printable

FEEDWATCH = str(Path(sys.executable).parent / "feedwatch")
FORGED = "2026-12-02 09:00:00 INFO    exchange: recovered after 0.01s"
REASON = f"bye\n{FORGED}\x1b[2J\x1b]0;owned\x07\u202e"


def test_printable_escapes_controls_and_keeps_the_rest() -> None:
    assert printable("a\nb\r\tc\x1b[2J\x07\x9b\u202e\u2028é€") == (
        "a\\nb\\r\\tc\\x1b[2J\\x07\\x9b\\u202e\\u2028é€"
    )
    event = Event(ts=0.0, feed="exchange", kind=EventKind.DISCONNECTED, reason=REASON)
    line = event.describe()
    assert "\n" not in line and "\x1b" not in line and "\u202e" not in line
    assert "\\n2026-12-02" in line


async def test_a_close_reason_cannot_forge_a_log_line_or_write_escapes(tmp_path: Path) -> None:
    async def close_with_a_payload(connection: ServerConnection) -> None:
        await connection.close(1011, REASON)

    async with serve(close_with_a_payload, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        config = tmp_path / "config.toml"
        config.write_text(
            f'[history]\nenabled = false\n\n[[feeds]]\nname = "exchange"\n'
            f'url = "ws://127.0.0.1:{port}/"\nstale_after = "5s"\n'
        )
        proc = await asyncio.create_subprocess_exec(
            FEEDWATCH,
            "--config",
            str(config),
            "--headless",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        await asyncio.sleep(2.0)  # a few connects, each closed with the payload
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 10)
    stderr = err.decode()
    assert "bye\\n2026-12-02" in stderr  # the reason is shown, escaped
    assert not any(line.startswith(FORGED[:19]) for line in stderr.splitlines())
    assert "\x1b" not in stderr and "\x07" not in stderr and "\u202e" not in stderr
    # JSON output keeps the exact text, escaped by JSON itself.
    events = [json.loads(line) for line in out.decode().splitlines()]
    closes = [e for e in events if e.get("close_reason")]
    assert closes and closes[0]["close_reason"] == REASON
    assert b"\x1b" not in out
