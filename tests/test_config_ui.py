"""The [ui] table: how the dashboard draws, as people write it."""

from __future__ import annotations

from tests.config_text import FEED, load, problem


def test_the_mouse_is_tracked_unless_turned_off() -> None:
    assert load(FEED).ui.mouse
    assert not load("[ui]\nmouse = false\n" + FEED).ui.mouse


def test_mouse_must_be_true_or_false() -> None:
    assert (
        problem('[ui]\nmouse = "no"\n' + FEED) == '[ui]: mouse: expected true or false, found "no"'
    )


def test_low_bandwidth_is_off_unless_asked_for() -> None:
    assert not load(FEED).ui.low_bandwidth
    assert load("[ui]\nlow_bandwidth = true\n" + FEED).ui.low_bandwidth
