"""The engine and the non-TUI outputs never import Textual (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEADLESS_MODULES = [
    "feedwatch.engine.engine",
    "feedwatch.engine.worker",
    "feedwatch.engine.liveness",
    "feedwatch.engine.watch",
    "feedwatch.engine.conditions",
    "feedwatch.engine.schedule",
    "feedwatch.engine.classify",
    "feedwatch.engine.suggest",
    "feedwatch.engine.redact",
    "feedwatch.config.writeback",
    "feedwatch.config.loader",
    "feedwatch.headless",
    "feedwatch.runtime",
    "feedwatch.outputs.http.server",
    "feedwatch.check",
    "feedwatch.demo.simulator",
    "feedwatch.transports.websocket",
    "feedwatch.alerts.router",
    "feedwatch.alerts.webhook",
    "feedwatch.alerts.command",
    "feedwatch.alerts.bell",
    "feedwatch.history.uptime",
    "feedwatch.history.store",
    "feedwatch.history.writer",
    "feedwatch.history.schema",
    "feedwatch.history.status",
    "feedwatch.history.incidents",
    "feedwatch.history.lock",
    "feedwatch.history.rows",
    "feedwatch.history.report",
    "feedwatch.history.commands",
]


@pytest.mark.parametrize("module", HEADLESS_MODULES)
def test_headless_module_does_not_import_textual(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "", f"{module} pulls in {result.stdout.strip()}"
