"""What the wheel ships: the product, not the rigs its tests and benchmarks run."""

from __future__ import annotations

import zipfile
from pathlib import Path

TEST_RIGS = ("feedwatch/demo/exchanges/", "feedwatch/demo/flood.py", "feedwatch/demo/degraded.py")


def test_wheel_leaves_out_the_test_rigs(built_wheel: Path) -> None:
    names = zipfile.ZipFile(built_wheel).namelist()
    assert "feedwatch/demo/simulator.py" in names  # the demo itself ships
    assert [name for name in names if name.startswith(TEST_RIGS)] == []
    assert [name for name in names if name.startswith("tests/")] == []
