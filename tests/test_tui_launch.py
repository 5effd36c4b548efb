"""The real `feedwatch` console script in a real terminal (tmux), as a user starts it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.waiting import wait_until_blocking

DEMO_FEEDS = ("ticker", "iot-sensor", "silent-staller", "heartbeat-only", "multiplex",
              "needs-app-ping", "flapper")  # fmt: skip

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="needs tmux (.ci/run installs it)"
)


def screen(socket: str, session: str) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, "capture-pane", "-p", "-t", session],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip


def wait_for(socket: str, session: str, check: Callable[[str], bool], timeout: float = 30.0) -> str:
    """The first screen that ``check`` accepts."""

    def matching() -> str | None:
        text = screen(socket, session)
        return text if check(text) else None

    return wait_until_blocking(
        matching,
        timeout,
        interval=0.2,
        message=lambda: f"the screen to match; last screen:\n{screen(socket, session)}",
    )


def test_console_script_shows_every_demo_feed_and_quits_on_q(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "feedwatch"
    socket, session = f"fwtest{os.getpid()}", "fw"
    command = (
        f"env XDG_CONFIG_HOME={tmp_path / 'config'} XDG_STATE_HOME={tmp_path / 'state'} "
        f"TERM=xterm-256color {script}; echo EXIT=$?; sleep 30"
    )
    subprocess.run(
        ["tmux", "-L", socket, "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
         command],
        check=True,
    )  # fmt: skip
    try:
        shown = wait_for(socket, session, lambda s: all(name in s for name in DEMO_FEEDS))
        assert "feedwatch" in shown
        assert "live" in shown
        subprocess.run(["tmux", "-L", socket, "send-keys", "-t", session, "q"], check=True)
        after = wait_for(socket, session, lambda s: "EXIT=" in s, timeout=15)
        assert "EXIT=0" in after
        assert "Traceback" not in after
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], check=False)
