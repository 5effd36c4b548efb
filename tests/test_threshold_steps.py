"""The round values + and - step through, and the bounds they hold a threshold to."""

from __future__ import annotations

from feedwatch.config.durations import format_duration
from feedwatch.tui.threshold_steps import ThresholdBounds, next_step


def test_steps_are_the_values_people_write() -> None:
    up, value = [], 0.1
    while value < 3600:
        step = next_step(value, up=True)
        assert step is not None
        up.append(format_duration(step))
        value = step
    assert up == ["250ms", "500ms", "1s", "1.5s", "2s", "3s", "5s", "10s", "15s", "30s",
                  "45s", "1m", "1m30s", "2m", "5m", "10m", "15m", "30m", "1h"]  # fmt: skip


def test_a_value_between_steps_goes_to_the_next_one_each_way() -> None:
    assert next_step(6.25, up=True) == 10.0
    assert next_step(6.25, up=False) == 5.0
    assert next_step(0.05, up=False) is None


def test_bounds_name_the_reason() -> None:
    bounds = ThresholdBounds(p50_gap=2.0, auto_max=60.0)
    assert bounds.problem(2.0) is None
    assert bounds.problem(60.0) is None
    assert "below the feed's typical gap (p50 2s)" in str(bounds.problem(1.5))
    assert bounds.problem(90.0) == "above auto_max (1m)"
    assert ThresholdBounds(None, 60.0).problem(0.05) is None  # no gaps seen: no floor
