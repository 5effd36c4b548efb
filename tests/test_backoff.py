"""Reconnect backoff: exponential, jittered within bounds, capped, reset only on stability."""

from __future__ import annotations

import random

from feedwatch.config.model import BackoffSpec
from feedwatch.engine.backoff import JITTER_FLOOR, Backoff

SPEC = BackoffSpec(initial=1.0, max=60.0, stable_after=30.0)


def test_delays_double_within_jitter_bounds_up_to_the_max() -> None:
    backoff = Backoff(SPEC, random.Random(7))
    ceilings = [1, 2, 4, 8, 16, 32, 60, 60, 60]
    for ceiling in ceilings:
        delay = backoff.next_delay()
        assert JITTER_FLOOR * ceiling <= delay <= ceiling


def test_jitter_spreads_delays_across_feeds() -> None:
    delays = {round(Backoff(SPEC, random.Random(seed)).next_delay(), 6) for seed in range(50)}
    assert len(delays) == 50
    assert min(delays) >= 0.5
    assert max(delays) <= 1.0


def test_permanent_failures_go_straight_to_the_longest_delay() -> None:
    backoff = Backoff(SPEC, random.Random(1))
    delay = backoff.jump_to_max()
    assert 30.0 <= delay <= 60.0
    assert 30.0 <= backoff.next_delay() <= 60.0


def test_reset_starts_again_from_the_initial_delay() -> None:
    backoff = Backoff(SPEC, random.Random(1))
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_huge_attempt_counts_do_not_overflow() -> None:
    backoff = Backoff(SPEC, random.Random(1))
    backoff.attempt = 10_000
    assert backoff.next_delay() <= 60.0
