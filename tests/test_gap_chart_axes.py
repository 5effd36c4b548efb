"""The detail view's gap charts speak in units a person reads, with ticks a person picks."""

from __future__ import annotations

from feedwatch.tui.widgets.gap_charts import human, log_ticks, nice_ticks


def test_durations_read_in_human_units() -> None:
    shown = [human(t) for t in (7.94e-6, 0.0005, 0.005, 0.25, 1, 2.5, 30, 90, 600, 5400)]
    assert shown == [
        "7.94µs",
        "0.5ms",
        "5ms",
        "250ms",
        "1s",
        "2.5s",
        "30s",
        "1.5min",
        "10min",
        "1.5h",
    ]
    assert "e-0" not in " ".join(shown)


def test_the_timeline_axis_has_more_than_its_two_ends() -> None:
    # From the 1 ms floor to 30 s on a short chart: decades, not just "1e-06s" and "30s".
    ticks = log_ticks(0.001, 30.0, 3)
    assert ticks == [0.001, 0.1, 10.0]
    assert [human(t) for t in ticks] == ["1ms", "100ms", "10s"]
    assert len(log_ticks(0.001, 30.0, 12)) > 3  # room for 1-3 steps


def test_histogram_ticks_are_round_numbers() -> None:
    ticks = nice_ticks(7.94e-6, 0.38, 5)
    assert [human(t) for t in ticks] == ["100ms", "200ms", "300ms"]
    assert nice_ticks(1.0, 30.0, 5) == [10.0, 20.0, 30.0]
