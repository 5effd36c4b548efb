"""The dashboard's command-line switches, as a user types them."""

from __future__ import annotations

import contextlib
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from feedwatch.cli import dashboard_refresh_hz
from feedwatch.config.model import UiConfig
from tests.history_fixtures import ROOT


def feedwatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedwatch", *args],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("value", ["0", "-1", "31", "fast", "nan", "inf"])
def test_a_refresh_rate_out_of_range_is_a_usage_error(value: str) -> None:
    result = feedwatch("--refresh", value)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "feedwatch: error: --refresh: expected refreshes a second, a number above 0 and "
        f"at most 30, found '{value}'"
    )


def run_on_a_terminal(args: list[str], stderr: Path) -> tuple[int, str]:
    """feedwatch with stdout on a pseudo-terminal and stderr in ``stderr``: status, screen."""
    controller, terminal = pty.openpty()
    with stderr.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "feedwatch", *args],
            stdin=terminal, stdout=terminal, stderr=err, cwd=ROOT,
        )  # fmt: skip
    os.close(terminal)
    shown = b""
    with contextlib.suppress(OSError):  # EIO once the child closed the terminal
        while chunk := os.read(controller, 4096):
            shown += chunk
    os.close(controller)
    return proc.wait(timeout=30), shown.decode(errors="replace")


def test_a_dashboard_with_stderr_redirected_exits_2_and_says_why(tmp_path: Path) -> None:
    log = tmp_path / "fw.log"
    status, shown = run_on_a_terminal(["demo"], log)
    assert status == 2
    for said in (shown, log.read_text()):
        assert "the dashboard draws on stderr, and stderr is not a terminal here" in said
        assert "use --headless" in said


def test_low_bandwidth_refreshes_once_a_second_unless_refresh_says_otherwise() -> None:
    assert dashboard_refresh_hz(UiConfig(), from_command_line=False) == 4.0
    assert dashboard_refresh_hz(UiConfig(low_bandwidth=True), from_command_line=False) == 1.0
    slow = UiConfig(refresh_hz=0.5, low_bandwidth=True)
    assert dashboard_refresh_hz(slow, from_command_line=False) == 0.5  # already slower
    given = UiConfig(refresh_hz=2.0, low_bandwidth=True)  # --refresh 2 --low-bandwidth
    assert dashboard_refresh_hz(given, from_command_line=True) == 2.0
