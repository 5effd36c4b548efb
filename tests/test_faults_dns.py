"""A DNS failure, end to end: a real headless feedwatch in a network namespace of its own.

``unshare -rn`` gives the process a network namespace with no interfaces up, so resolving
feeds.example.com fails at once and nothing leaves the machine. A file feed beside it shows
the other feeds carry on.
"""

from __future__ import annotations

import contextlib
import json
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.waiting import wait_until_blocking

UNSHARE = shutil.which("unshare")


def _can_isolate() -> bool:
    if UNSHARE is None:
        return False
    try:
        done = subprocess.run([UNSHARE, "-rn", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


pytestmark = pytest.mark.skipif(
    not _can_isolate(), reason="needs `unshare -rn` (user and network namespaces)"
)


class Headless:
    """A running ``feedwatch --headless`` whose JSON lines are read as they come."""

    def __init__(self, config: Path) -> None:
        assert UNSHARE is not None
        command = [sys.executable, "-m", "feedwatch", "--headless", "--config", str(config)]
        self.process = subprocess.Popen(
            [UNSHARE, "-rn", *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.events: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def of(self, feed: str, event: str) -> list[dict[str, Any]]:
        """The events of ``feed`` named ``event`` among every line printed so far."""
        with contextlib.suppress(queue.Empty):
            while True:
                self.events.append(self.lines.get_nowait())
        return [e for e in self.events if e["feed"] == feed and e["event"] == event]

    def stop(self) -> tuple[int, str]:
        """SIGTERM, as a service manager would; the exit status and stderr."""
        self.process.send_signal(signal.SIGTERM)
        _, stderr = self.process.communicate(timeout=15)
        return self.process.returncode, stderr


@pytest.fixture
def headless_in_namespace(tmp_path: Path) -> Iterator[tuple[Headless, Path]]:
    log = tmp_path / "app.log"
    log.touch()
    config = tmp_path / "feedwatch.toml"
    config.write_text(
        f"""
[history]
enabled = false

[[feeds]]
name = "remote"
url = "wss://feeds.example.com/ws"
stale_after = "30s"
[feeds.backoff]
initial = "100ms"
max = "200ms"

[[feeds]]
name = "local"
transport = "file"
path = "{log}"
stale_after = "1s"
""",
        encoding="utf-8",
    )
    headless = Headless(config)
    try:
        yield headless, log
    finally:
        if headless.process.poll() is None:
            headless.process.kill()
            headless.process.communicate(timeout=15)


def test_a_dns_failure_is_a_dns_error_retried_with_backoff_while_other_feeds_live(
    headless_in_namespace: tuple[Headless, Path],
) -> None:
    headless, log = headless_in_namespace

    def write_a_line() -> None:
        with log.open("a", encoding="utf-8") as out:
            out.write('{"price": 1}\n')

    def remote_errors_while_fed() -> int:
        write_a_line()
        return len(headless.of("remote", "error"))

    # Data keeps coming on the file feed while the remote one fails to resolve, again and again.
    wait_until_blocking(
        lambda: remote_errors_while_fed() >= 3,
        timeout=15,
        message=lambda: f"three DNS errors; saw {headless.events}",
    )
    for _ in range(15):  # 1.5 s more of lines, longer than the file feed's stale_after
        write_a_line()
        time.sleep(0.1)

    errors = headless.of("remote", "error")
    assert {e["kind"] for e in errors} == {"dns"}
    assert all(e["reason"].startswith("DNS lookup failed: ") for e in errors)
    retries = headless.of("remote", "reconnecting")
    assert [e["attempt"] for e in retries[:3]] == [1, 2, 3]
    assert all(e["delay_seconds"] > 0 for e in retries)
    assert not headless.of("remote", "connected")
    assert headless.of("local", "connected")
    assert not headless.of("local", "stale")  # fed all along, for longer than its stale_after

    # And the file feed is really watched: when its lines stop, it goes stale.
    wait_until_blocking(
        lambda: headless.of("local", "stale"),
        timeout=15,
        message=lambda: f"the file feed to go stale; saw {headless.events}",
    )

    status, stderr = headless.stop()
    assert status == 0
    assert "Traceback" not in stderr
    assert "remote: error (DNS lookup failed: " in stderr  # the human log line
