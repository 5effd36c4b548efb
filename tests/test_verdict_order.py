"""The header and the sort read the engine's verdict and its order, worst first."""

from __future__ import annotations

from feedwatch.engine.verdict import SEVERITY_ORDER, State, is_healthy, is_warning
from feedwatch.tui.widgets.feed_rows import STATE_ORDER


def test_sort_by_state_puts_partial_right_after_stale_and_before_live() -> None:
    worst_first = sorted(State, key=STATE_ORDER.__getitem__)
    assert worst_first[:2] == [State.STALE, State.PARTIAL]
    assert worst_first.index(State.PARTIAL) < worst_first.index(State.BACKOFF)
    assert worst_first.index(State.LIVE) < worst_first.index(State.QUIET)
    assert STATE_ORDER is SEVERITY_ORDER  # the dashboard keeps no order of its own


def test_partial_pages_unless_its_channels_only_warn() -> None:
    assert not is_healthy(State.PARTIAL)
    assert not is_warning(State.PARTIAL)
    assert is_healthy(State.PARTIAL, "warn")
    assert is_warning(State.PARTIAL, "warn")
    for resting in (State.PAUSED, State.QUIET, State.LIVE):
        assert is_healthy(resting)
    for failing in (State.STALE, State.BACKOFF, State.CONNECTING, State.FROZEN, State.LAGGING):
        assert not is_healthy(failing, "warn")
