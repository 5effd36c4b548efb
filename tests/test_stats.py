"""Rates and gap statistics: bounded memory, constant work per message, honest figures."""

from __future__ import annotations

import pytest

from feedwatch.engine.stats import GapBuffer, RateMeter, percentile


def test_rates_average_whole_seconds_over_each_window() -> None:
    meter = RateMeter()
    t = 100.0
    for second in range(60):
        for i in range(second % 3 + 1):  # 1, 2, 3 messages a second, repeating
            meter.add(t + second + i * 0.1)
    now = 160.5
    assert meter.rate(now, 1) == 3.0  # second 59 had 3
    assert meter.rate(now, 10) == pytest.approx(21 / 10)  # 3+1+2+3+1+2+3+1+2+3
    assert meter.rate(now, 60) == pytest.approx(120 / 60)


def test_rates_fall_to_zero_when_messages_stop() -> None:
    meter = RateMeter()
    for i in range(100):
        meter.add(10.0 + i * 0.01)
    assert meter.rate(11.5, 1) == 100.0
    assert meter.rate(15.0, 1) == 0.0
    assert meter.rate(500.0, 60) == 0.0


def test_gap_buffer_keeps_only_the_most_recent_gaps() -> None:
    buf = GapBuffer(size=4)
    for i in range(10):
        buf.add(float(i), float(i))
    assert list(buf.gaps) == [6.0, 7.0, 8.0, 9.0]
    assert buf.recent(2) == [8.0, 9.0]


def test_gap_summary_reports_nearest_rank_percentiles() -> None:
    buf = GapBuffer(size=1000)
    for i in range(1, 101):
        buf.add(float(i), i / 100)
    summary = buf.summary()
    assert summary.count == 100
    assert summary.p50 == 0.5
    assert summary.p99 == 0.99
    assert summary.max == 1.0


def test_an_empty_gap_summary_has_no_figures() -> None:
    summary = GapBuffer().summary()
    assert (summary.count, summary.p50, summary.p99, summary.max) == (0, None, None, None)


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)
