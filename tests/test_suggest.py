"""The suggested threshold: 4 x p99 of a feed's normal gaps over about the last hour,
rounded up to a value people write and kept within 3-5 x p99."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from feedwatch.config.model import ScheduleWindow
from feedwatch.config.schedule_reader import parse_clock, parse_days
from feedwatch.demo.behaviours import Ticker
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.suggest import (
    MIN_GAPS,
    MIN_SAMPLES,
    MIN_SPAN,
    Suggestion,
    suggest_threshold,
)
from tests.fake_feed import FakeFeed
from tests.live import Running, feed
from tests.waiting import wait_until

HUMAN_VALUES = {
    *(float(f"{m}e{e}") for e in range(-4, 1) for m in (1, 1.5, 2, 2.5, 3, 4, 5, 7.5)),
    *(10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1200, 1800, 2700, 3600),
    *(5400, 7200, 10800, 14400, 21600, 43200, 86400),
}


def suggest(p99: float, current: float = 30.0, samples: int = 100) -> Suggestion:
    suggestion = suggest_threshold(p99, current, samples)
    assert suggestion is not None
    return suggestion


@pytest.mark.parametrize(
    ("p99", "expected"),
    [
        (0.25, 1.0),  # 4 x 0.25 is already round
        (1.18, 5.0),  # 4.72 rounds up to 5
        (0.3, 1.5),  # 1.2 rounds up to 1.5 (exactly 5 x, still inside the rule)
        (7.0, 30.0),  # 28 rounds up to 30
        (12.0, 60.0),  # 48 rounds up to a minute
        (100.0, 450.0),  # 400 s rounds up to 7m30s
        (0.001, 0.004),  # fast feeds get millisecond thresholds
    ],
)
def test_suggests_four_times_p99_rounded_up_to_a_human_value(p99: float, expected: float) -> None:
    assert suggest(p99).seconds == pytest.approx(expected)


def test_rounds_down_when_rounding_up_would_exceed_five_times_p99() -> None:
    # 4 x 0.26 = 1.04; the next value up, 1.5, would be 5.8 x p99.
    assert suggest(0.26).seconds == pytest.approx(1.0)


def test_float_noise_does_not_push_an_exact_value_up_a_step() -> None:
    # 0.1 + 0.2 is 0.30000000000000004; 4 x that is a hair above 1.2.
    assert suggest(0.1 + 0.2).seconds == pytest.approx(1.5)
    assert suggest(0.25 + 1e-15).seconds == pytest.approx(1.0)


@pytest.mark.parametrize("p99", [0.0007 * 1.07**n for n in range(200)])
def test_always_within_three_to_five_times_p99(p99: float) -> None:
    seconds = suggest(p99).seconds
    assert 3 * p99 * (1 - 1e-9) <= seconds <= 5 * p99 * (1 + 1e-9)
    if seconds < 86400:
        assert any(math.isclose(seconds, v, rel_tol=1e-9) for v in HUMAN_VALUES), seconds
    else:
        assert seconds % 3600 == 0


def test_rule_shows_the_arithmetic() -> None:
    rule = suggest(1.18).rule
    assert rule == "4 × p99 gap (1.18s) = 4.72s → 5s; the field's rule is 3–5 × p99"  # noqa: RUF001
    assert "→ 1s" in suggest(0.25).rule
    assert "→ 7m30s" in suggest(100.0).rule


def test_no_suggestion_from_too_few_gaps() -> None:
    assert MIN_SAMPLES == 20
    assert suggest_threshold(0.25, 30.0, MIN_SAMPLES - 1) is None
    assert suggest_threshold(0.25, 30.0, MIN_SAMPLES) is not None


@pytest.mark.parametrize("p99", [None, 0.0, -1.0, math.inf, math.nan])
def test_no_suggestion_without_a_usable_p99(p99: float | None) -> None:
    assert suggest_threshold(p99, 30.0, 500) is None


def test_knows_whether_it_would_change_the_threshold() -> None:
    assert suggest(0.25, current=30.0).differs
    assert not suggest(0.25, current=1.0).differs
    assert suggest(0.25, current=30.0).current == 30.0


def test_a_figure_offered_before_stands_while_it_is_still_within_the_rule() -> None:
    # p99 0.61s: 4 x p99 rounds to 2.5s; offered 3s before, 3s is still 4.9 x p99.
    assert suggest(0.61).seconds == 2.5
    held = suggest_threshold(0.61, 30.0, 100, held=3.0)
    assert held is not None and held.seconds == 3.0
    assert "→ 3s (as before);" in held.rule
    # Once the rule no longer allows it, the figure moves.
    moved = suggest_threshold(0.5, 30.0, 100, held=3.0)
    assert moved is not None and moved.seconds == 2.0


# -- what a suggestion rests on: normal gaps, over a long window -------------------------


def test_suggestion_ignores_the_stall_it_should_catch() -> None:
    # The demo's silent staller: 5 msg/s, stalling 12 s into every connection until the
    # 5 s threshold calls it stale and a reconnect cures it. The last 512 gaps hold eight
    # stalls, so their p99 *is* the stall and suggested 20 s, hiding it.
    ticker = FakeFeed(stale_after=5.0, reconnect_on_stale=False)
    offered, ring = set(), set()
    while ticker.now < 1000 + 70 * 60:
        ticker.tick(12, rate=5.0)
        ticker.clock.advance(5.0)  # stale
        ticker.reconnect(after=0.5)
        ticker.message()  # the first message after the stall: a 5.5 s gap
        offered.add(ticker.suggested())
        gaps = ticker.engine.feed_snapshot("ticker").gaps
        old = suggest_threshold(gaps.p99, 5.0, gaps.count)
        ring.add(None if old is None else old.seconds)
    assert ring == {20.0}  # what the ring buffer suggested
    assert offered - {None} == {4.0}  # 4 x p99 of the 5 msg/s traffic, below the stall
    evidence = ticker.advice().evidence
    assert evidence.left_out >= 200  # a stall and a reconnect each cycle, for an hour
    assert evidence.span >= 3600


def test_suggestion_ignores_a_long_stall_without_a_reconnect() -> None:
    # A 20 msg/s ticker that stalls for 20 s once a minute, with a 5 s threshold.
    ticker = FakeFeed(stale_after=5.0, reconnect_on_stale=False)
    offered = set()
    while ticker.now < 1000 + 70 * 60:
        ticker.tick(40, rate=20.0)
        ticker.clock.advance(20.0)
        ticker.message()
        offered.add(ticker.suggested())
    assert offered - {None} == {1.0}
    assert ticker.monitor.watch.gaps.summary().max == pytest.approx(20.0, abs=0.5)


def test_suggestion_is_stable_over_a_minute() -> None:
    # 30 s at 20 msg/s, then 10 s at 2 msg/s, over and over: the last 512 gaps (25 s)
    # sometimes hold a slow patch and sometimes not, so their p99 swings.
    ticker = FakeFeed(stale_after=5.0)
    while ticker.now < 1000 + 15 * 60:
        ticker.tick(30, rate=20.0)
        ticker.tick(10, rate=2.0)
    offered, ring = [], set()
    for second in range(60):
        ticker.tick(1, rate=20.0 if second % 40 < 30 else 2.0)
        offered.append(ticker.suggested())
        gaps = ticker.engine.feed_snapshot("ticker").gaps
        old = suggest_threshold(gaps.p99, 5.0, gaps.count)
        ring.add(None if old is None else old.seconds)
    assert len(ring) >= 3  # the ring buffer's figure swung within the minute
    assert set(offered) == {3.0}


def test_suggestion_needs_a_minimum_sample() -> None:
    assert (MIN_GAPS, MIN_SPAN) == (200, 600.0)
    busy = FakeFeed(stale_after=5.0)
    busy.every(0.05, 11_000)  # 10,999 gaps, but only over 9m 10s (549.95 s, rounded)
    advice = busy.advice()
    assert advice.suggestion is None
    assert advice.why_not == "need 200 normal gaps over 10m (have 10,999 over 9m 10s)"
    busy.every(0.05, 1_100)  # now over ten minutes
    assert busy.suggested() == 0.25  # 4 x 0.05 s, to within one bin

    slow = FakeFeed(stale_after=30.0)
    slow.every(4.0, 200)  # 199 gaps over 13 minutes
    assert slow.advice().why_not == "need 200 normal gaps over 10m (have 199 over 13m 16s)"
    slow.every(4.0, 1)
    assert slow.suggested() == 20.0


def test_suggestion_says_what_it_rests_on() -> None:
    ticker = FakeFeed(stale_after=30.0)
    ticker.every(0.25, 2500)
    suggestion = ticker.advice().suggestion
    assert suggestion is not None and suggestion.seconds == 1.0
    assert suggestion.rule == (
        "4 × p99 of 2,499 gaps over 10m 25s (0.256s) = 1.02s → 1s; "  # noqa: RUF001
        "the field's rule is 3–5 × p99"  # noqa: RUF001
    )


@pytest.mark.parametrize(
    "interruption",
    ["stall", "reconnect", "pause", "restart", "quiet window", "lowered threshold"],
)
def test_gaps_that_are_not_the_feeds_normal_rhythm_are_left_out(interruption: str) -> None:
    quiet = ScheduleWindow(parse_days("daily"), parse_clock("22:45"), parse_clock("22:50"), "UTC")
    changes = {"schedule": (replace(quiet, quiet=True),)} if interruption == "quiet window" else {}
    restarted = 2.0 if interruption == "restart" else None  # data 2 s before this process
    ticker = FakeFeed(5.0, reconnect_on_stale=False, restarted_after=restarted, **changes)
    if interruption != "restart":  # the first gap after a restart is the interruption
        ticker.every(1.0, 60)
    before = ticker.monitor.watch.normal_gaps.evidence(ticker.now, ticker.now)
    if interruption == "stall":
        ticker.clock.advance(9.0)
    elif interruption == "reconnect":
        ticker.reconnect(after=0.5)
    elif interruption == "pause":
        ticker.worker.pause()
        ticker.clock.advance(1.0)
        ticker.worker.resume()
    elif interruption == "quiet window":
        ticker.every(1.0, 20 * 60)  # through 22:45-22:50 UTC
    elif interruption == "lowered threshold":
        ticker.engine.set_stale_after("ticker", 0.5)
        ticker.clock.advance(0.6)  # stale; the gap is above the threshold in force
    ticker.every(0.25, 4)
    after = ticker.monitor.watch.normal_gaps.evidence(ticker.now, ticker.now)
    if interruption == "quiet window":
        # Five minutes of quiet (300 gaps) and the gap into it are left out.
        assert after.left_out - before.left_out == 301
        return
    assert after.left_out - before.left_out == 1
    assert after.gaps - before.gaps == 3  # the gaps that followed count again


def test_suggestion_window_covers_about_the_last_hour_in_bounded_memory() -> None:
    ticker = FakeFeed(stale_after=30.0)
    ticker.every(1.0, 30 * 60)  # half an hour of one message a second
    ticker.every(0.1, 90 * 60 * 10)  # then an hour and a half of ten a second
    evidence = ticker.advice().evidence
    assert 3600 <= evidence.span <= 3900  # 60-65 minutes, in five-minute slices
    assert ticker.suggested() == 0.5  # 4 x 0.1 s to within a bin: the slow half hour is gone
    assert ticker.monitor.watch.normal_gaps.slices <= 13


def test_gaps_older_than_six_hours_are_forgotten() -> None:
    ticker = FakeFeed(stale_after=30.0, reconnect_on_stale=False)
    ticker.every(1.0, 15 * 60)
    assert ticker.suggested() == 5.0  # 4 x 1 s, to within a bin
    ticker.clock.advance(7 * 3600)  # seven hours without data
    advice = ticker.advice()
    assert advice.evidence.gaps == 0 and advice.suggestion is None


def test_a_slow_feed_reaches_back_for_enough_gaps() -> None:
    ticker = FakeFeed(stale_after=600.0)
    ticker.every(30.0, 12 * 60 * 2)  # one message every 30 s for twelve hours
    advice = ticker.advice()
    assert advice.evidence.gaps >= MIN_GAPS  # 200 gaps take 100 minutes
    assert advice.evidence.span <= 6 * 3600
    assert advice.suggestion is not None and advice.suggestion.seconds == 120.0
    assert ticker.monitor.watch.normal_gaps.slices <= 13


def test_no_suggestion_that_would_end_a_stall_without_data() -> None:
    ticker = FakeFeed(stale_after=5.0, reconnect_on_stale=False)
    ticker.every(2.0, 400)  # 4 x 2 s, to within a bin: 10 s would be right for this feed
    assert ticker.suggested() == 10.0
    ticker.clock.advance(6.0)  # stale now: raising the threshold would hide it
    advice = ticker.advice()
    assert advice.suggestion is None
    assert advice.why_not == "not while stale: raising stale_after to 10s now would hide the stall"


def test_each_channel_suggests_from_its_own_gaps() -> None:
    ticker = FakeFeed(stale_after=30.0, channel_key="arg.channel", channels=("btc", "sol"))
    for second in range(15 * 60):  # fifteen minutes: btc ten times a second, sol every 2 s
        ticker.every(0.1, 10, "btc")
        if second % 2 == 0:
            ticker.message("sol")
    assert ticker.suggested("btc") == 0.5  # 4 x 0.1 s, to within a bin
    assert ticker.suggested("sol") == 10.0  # 4 x 2 s, to within a bin
    assert ticker.suggested() == 0.5  # the feed's own gaps: every message, either channel


async def test_on_a_real_server_stalls_and_reconnects_are_left_out() -> None:
    # 100 msg/s that stall 0.4 s into every connection; the 0.3 s threshold calls
    # each stall stale and the reconnect cures it. None of those gaps is normal.
    simulator = Simulator(seed=3)
    stalling = Ticker(rate=100, require_subscribe=False, stall_every=0.4, stall_for=5.0)
    simulator.add("/staller", stalling)
    await simulator.start()
    try:
        async with Running(feed("staller", simulator.url("/staller"), stale_after=0.3)) as run:
            monitor = run.engine.worker("staller").monitor
            await wait_until(lambda: monitor.reconnects >= 3, timeout=10.0)
            detail = run.engine.feed_detail("staller")
    finally:
        await simulator.stop()
    assert detail.feed.gaps.max is not None and detail.feed.gaps.max >= 0.3  # stalls happened
    advice = detail.advice
    assert advice is not None and advice.suggestion is None  # seconds, not ten minutes
    evidence = advice.evidence
    assert evidence.left_out >= 2  # the gap across each stall and its reconnect
    assert evidence.p99 is not None and evidence.p99 < 0.3
    assert advice.why_not.startswith("need 200 normal gaps over 10m (have ")
