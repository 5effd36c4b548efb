"""Rates and gap statistics: bounded memory, constant work per message, honest figures."""

from __future__ import annotations

import pytest

from feedwatch.engine.stats import CountHistory, GapBuffer, percentile


def test_rates_come_from_once_a_second_counter_samples() -> None:
    history = CountHistory()
    total = 0
    for second in range(61):
        history.sample(100.0 + second, total)
        total += second % 3 + 1  # 1, 2, 3 messages a second, repeating
    # The last second (59 -> 60) added 59 % 3 + 1 = 3 messages.
    assert history.rate(1) == 3.0
    assert history.rate(10) == pytest.approx(21 / 10)  # 3+1+2+3+1+2+3+1+2+3
    assert history.rate(60) == pytest.approx(120 / 60)


def test_rates_fall_to_zero_when_messages_stop() -> None:
    history = CountHistory()
    history.sample(10.0, 0)
    history.sample(11.0, 100)
    assert history.rate(1) == 100.0
    history.sample(12.0, 100)
    assert history.rate(1) == 0.0
    assert history.rate(10) == 50.0


def test_no_rate_before_two_samples() -> None:
    history = CountHistory()
    assert history.rate(1) == 0.0
    history.sample(1.0, 5)
    assert history.rate(1) == 0.0


def test_gap_buffer_keeps_only_the_most_recent_gaps() -> None:
    buf = GapBuffer(size=4)
    for i in range(10):  # as Watch.record does it: the two deques side by side
        buf.gaps.append(float(i))
        buf.times.append(float(i))
    assert list(buf.gaps) == [6.0, 7.0, 8.0, 9.0]
    assert buf.recent(2) == [8.0, 9.0]


def test_gap_summary_reports_nearest_rank_percentiles() -> None:
    buf = GapBuffer(size=1000)
    for i in range(1, 101):
        buf.gaps.append(i / 100)
        buf.times.append(float(i))
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


def test_the_recent_rate_reads_zero_once_nothing_comes_even_with_the_sampler_stopped() -> None:
    rates = CountHistory()
    for second in range(10):
        rates.sample(float(second), second * 20)  # 20 a second, then the sampler stops
    assert rates.recent(9.0, 180) == pytest.approx(20.0)
    assert rates.recent(9.5, 190) == pytest.approx(20.0)  # counts up to now, not a sample
    # Paused or stale: no new messages, no new samples; the 10 s rate keeps its old value.
    assert rates.rate(10) == pytest.approx(20.0)
    assert rates.recent(12.0, 180) == 0.0
    assert rates.recent(10.5, 180) == pytest.approx((180 - 140) / 3.5)  # falling, not frozen
    assert CountHistory().recent(5.0, 0) == 0.0
