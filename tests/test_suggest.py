"""The suggested threshold: 4 x p99 rounded up to a value people write, kept within 3-5 x p99."""

from __future__ import annotations

import math

import pytest

from feedwatch.engine.suggest import MIN_SAMPLES, Suggestion, suggest_threshold

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
