"""Every test runs in UTC with its own config and state directories."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

# Snapshots show local times: pin the zone so they match on every machine.
os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture(autouse=True)
def _isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return home
