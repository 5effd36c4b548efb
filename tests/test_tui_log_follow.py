"""The event log follows new lines at its end, and stays put when scrolled up to read."""

from __future__ import annotations

from feedwatch.tui.widgets.event_log import PAUSED, LogMark
from tests.tui_scenario import scripted_app


def marks(start: float, count: int) -> list[LogMark]:
    return [LogMark(start + i, f"line {start + i:.0f}") for i in range(count)]


async def test_scrolling_up_pauses_following_and_end_resumes_it() -> None:
    app = scripted_app()
    async with app.run_test(size=(80, 24)) as pilot:
        log = app.event_log
        log.add(marks(0, 80))
        await pilot.pause()
        assert log.following and log.max_scroll_y > 0 and log.border_title is None
        log.focus()
        await pilot.press("pageup")
        await pilot.pause()
        held = log.scroll_offset.y
        assert held < log.max_scroll_y
        log.add(marks(100, 5))  # events keep arriving while the user reads back
        await pilot.pause(0.3)
        assert log.scroll_offset.y == held  # not snapped back to the bottom
        assert log.border_title == PAUSED
        await pilot.press("end")
        await pilot.pause()
        assert log.following and log.border_title is None
        log.add(marks(200, 5))
        await pilot.pause(0.3)
        assert log.scroll_offset.y == log.max_scroll_y  # following again


async def test_the_sort_the_filter_and_the_follow_stay_on_screen() -> None:
    app = scripted_app()
    async with app.run_test(size=(80, 24)) as pilot:
        header = lambda: app.table.render_line(0).text  # noqa: E731
        assert "▼" not in header()
        await pilot.press("s")
        await pilot.pause()
        assert "State ▼" in header()
        await pilot.press("s")
        await pilot.pause()
        assert "Age ▼" in header() and "State ▼" not in header()
        app.table.filter_text = "okx"
        await pilot.pause()
        assert "Feed /okx" in header()
        await pilot.press("f")
        await pilot.pause()
        title = app.event_log.border_title
        assert title is not None and title.endswith("only (f: all feeds)")
        await pilot.press("f")
        await pilot.pause()
        assert app.event_log.border_title is None
