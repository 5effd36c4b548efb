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


def start(tmp_path: Path, *args: str, size: tuple[int, int] = (100, 30)) -> tuple[str, str]:
    """The console script in a new tmux session; its socket and session names."""
    script = Path(sys.executable).parent / "feedwatch"
    socket, session = f"fwtest{os.getpid()}", "fw"
    command = (
        f"env XDG_CONFIG_HOME={tmp_path / 'config'} XDG_STATE_HOME={tmp_path / 'state'} "
        f"TERM=xterm-256color {script} {' '.join(args)}; echo EXIT=$?; sleep 30"
    )
    subprocess.run(
        ["tmux", "-L", socket, "new-session", "-d", "-s", session, "-x", str(size[0]),
         "-y", str(size[1]), command],
        check=True,
    )  # fmt: skip
    return socket, session


def mouse_tracking(socket: str, session: str) -> str:
    """tmux's word on the pane: "1" while the program asks for mouse events."""
    return subprocess.run(
        ["tmux", "-L", socket, "display-message", "-p", "-t", session, "#{mouse_any_flag}"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def test_console_script_shows_every_demo_feed_and_quits_on_q(tmp_path: Path) -> None:
    socket, session = start(tmp_path)
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


@pytest.mark.parametrize(("args", "config", "tracked"), [
    ((), "", "1"),
    (("--no-mouse",), "", "0"),
    ((), "[ui]\nmouse = false\n", "0"),
])  # fmt: skip
def test_no_mouse_leaves_the_mouse_to_the_terminal(
    tmp_path: Path, args: tuple[str, ...], config: str, tracked: str
) -> None:
    path = tmp_path / "feedwatch.toml"
    path.write_text(
        config + '[[feeds]]\nname = "quiet"\nurl = "ws://127.0.0.1:9/"\nstale_after = "5s"\n'
    )
    socket, session = start(tmp_path, "--config", str(path), *args)
    try:
        wait_for(socket, session, lambda s: "quiet" in s and "palette" in s)  # the dashboard
        assert mouse_tracking(socket, session) == tracked
        subprocess.run(["tmux", "-L", socket, "send-keys", "-t", session, "q"], check=True)
        assert "EXIT=0" in wait_for(socket, session, lambda s: "EXIT=" in s, timeout=15)
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], check=False)
