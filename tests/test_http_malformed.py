"""Malformed HTTP requests cost one short warning line, rate-limited, never a traceback
(issue 16, point 16): the real console script, headless, fed garbage over real sockets."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from tests.live import free_port
from tests.waiting import wait_until

FEEDWATCH = str(Path(sys.executable).parent / "feedwatch")
GARBAGE = (
    b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /he alth HTTP/1.1\r\n\x00\x01\r\n\r\n",
)


async def poke(port: int, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(200), 2)
    finally:
        writer.close()


async def test_a_hundred_malformed_requests_write_one_short_line(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[server]\nlisten = "127.0.0.1:{port}"\n\n[history]\nenabled = false\n\n'
        '[[feeds]]\nname = "job"\ntransport = "push"\npush_token = "t0ken"\nstale_after = "1h"\n'
    )
    proc = await asyncio.create_subprocess_exec(
        FEEDWATCH,
        "--config",
        str(config),
        "--headless",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    lines: list[str] = []

    async def read() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            lines.append(raw.decode())

    reader = asyncio.create_task(read())
    try:
        await wait_until(lambda: any("serving /health" in line for line in lines), 10)
        before = len(lines)
        answers = [await poke(port, GARBAGE[i % len(GARBAGE)]) for i in range(100)]
        assert {a.split(b"\r\n", 1)[0] for a in answers if a} == {b"HTTP/1.0 400 Bad Request"}, {
            a[:40] for a in answers
        }
        await asyncio.sleep(0.5)
        said = lines[before:]
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 10)
        await reader
    assert not any("Traceback" in line for line in said)
    assert 1 <= len(said) <= 2, said
    assert "WARNING" in said[0] and "malformed HTTP request from 127.0.0.1" in said[0]
    assert sum(len(line) for line in said) < 400  # was 525 bytes for each request
