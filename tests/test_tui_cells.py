"""Cells of the feed table that must fit their columns whatever the figure."""

from __future__ import annotations

from feedwatch.tui.palette import Palette
from feedwatch.tui.widgets.cells import limit_cell, reconnects_cell
from feedwatch.tui.widgets.feed_rows import COLUMNS


def test_the_threshold_and_a_storm_fit_their_columns() -> None:
    palette = Palette.monochrome()
    width = {c.key: c.width for c in COLUMNS}
    for count in (3, 10, 999, 12345):
        cell = reconnects_cell(count, True, palette)
        assert cell.plain == f"↯ {count}"
        if count < 10_000:
            assert cell.cell_len <= width["reconnects"]  # never cut to "10 STO…"
    for seconds, text in ((0.25, "250ms"), (30.0, "30s"), (90.0, "1m30s"), (3600.0, "1h")):
        assert limit_cell(seconds, False, palette).plain == text
        assert len(text) <= width["limit"]
