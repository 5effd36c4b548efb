"""The dashboard's command-line switches, as a user types them."""

from __future__ import annotations

import subprocess
import sys

import pytest

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
