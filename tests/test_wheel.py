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


def test_wheel_ships_the_typed_marker_and_the_public_api(built_wheel: Path) -> None:
    names = zipfile.ZipFile(built_wheel).namelist()
    # PEP 561: without py.typed, a user's type checker ignores the Watcher's annotations.
    assert "feedwatch/py.typed" in names
    assert {"feedwatch/watcher.py", "feedwatch/transports/in_process.py"} <= set(names)
