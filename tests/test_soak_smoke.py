"""The soak harness (benchmarks/soak.py) still runs: a few seconds in each mode.

The real soak takes half an hour and is run by hand; these only keep it from rotting.
They assert that samples were taken and a summary computed, never on the figures.
"""

from __future__ import annotations

import csv
import importlib
import json
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def soak(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # soak.py imports soak_simulator beside it
    return importlib.import_module("soak")


@pytest.mark.parametrize("mode", ["headless", "tui"])
async def test_soak_records_samples_and_writes_a_summary(
    soak: ModuleType, mode: str, tmp_path: Path
) -> None:
    prefix = tmp_path / f"soak-{mode}"
    options = soak.Options(
        mode=mode,
        seconds=3.0,
        lineup=soak.Lineup(rate=50.0, tickers=2),
        sample_every=0.1,
        out=prefix,
        quiet=True,
    )

    summary = await soak.run(options)

    with open(f"{prefix}.csv") as samples:
        rows = list(csv.DictReader(samples))
    assert len(rows) == summary["samples"] >= 6
    assert {"rss_mb", "fds", "sockets", "tasks", "lag_p99_ms", "reconnects"} <= rows[0].keys()
    assert json.loads(Path(f"{prefix}.json").read_text())["mode"] == mode
    assert "Verdicts:" in Path(f"{prefix}.md").read_text()
    # Enough samples after the warm-up (half of so short a run) to reach every verdict.
    verdicts = summary["verdicts"]
    assert {type(verdicts[key]) for key in ("rss_flat", "no_task_leak", "no_fd_leak")} == {bool}
    assert summary["runner_error"] is None
    assert "connections" in summary["simulator"]  # it stopped and said what it served
