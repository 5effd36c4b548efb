"""Which stale_after is in force: a live change, then the window's, then the learned, then
the configured one; channels follow the feed unless they have their own."""

from __future__ import annotations

from dataclasses import replace

import pytest

from feedwatch.config.model import FeedConfig
from feedwatch.engine.threshold import Threshold

FEED = FeedConfig(name="btc", url="ws://127.0.0.1:1/", stale_after=10.0)


def test_a_live_change_holds_until_the_next_window_boundary() -> None:
    t = Threshold(FEED, lambda: None)
    t.change(3.0)
    assert (t.feed, t.channel) == (3.0, 3.0)
    t.enter_window(60.0)
    assert t.feed == 60.0  # the window's own threshold replaces the change
    t.enter_window(None)
    assert t.feed == 10.0  # outside every window: the configured one


def test_a_learned_move_applies_outside_windows_only() -> None:
    learned = [4.0]
    t = Threshold(FEED, lambda: learned[0])
    assert t.feed == 4.0
    t.enter_window(30.0)
    learned[0] = 2.0
    assert not t.learned_moved()
    assert t.feed == 30.0
    t.enter_window(None)
    t.change(9.0)
    assert t.learned_moved()  # the learned value takes over from a live change
    assert t.feed == 2.0


def test_channels_keep_their_own_threshold_when_configured() -> None:
    t = Threshold(replace(FEED, channel_stale_after=120.0), lambda: None)
    t.change(3.0)
    assert (t.feed, t.channel) == (3.0, 120.0)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf"), float("nan")])
def test_a_value_that_is_no_threshold_is_refused(bad: float) -> None:
    t = Threshold(FEED, lambda: None)
    with pytest.raises(ValueError, match="positive number of seconds"):
        t.change(bad)
    assert t.feed == 10.0
