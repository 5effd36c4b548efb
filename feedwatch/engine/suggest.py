"""A stale_after threshold suggested from a feed's own gaps, by the field's 3-5 x p99 rule.

A threshold far above the feed's worst normal gap detects outages late; one at or
below it raises false alarms. Practitioners set it at 3-5 times the p99 gap. We take
4 times, rounded up to a value a person would write in a config (1.5s, 30s, 5m), and
keep it within 3-5 x p99 even when rounding would carry it out of that band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from feedwatch.config.durations import format_duration

# Fewer gaps than this and the p99 is really the max of a handful: not worth acting on.
MIN_SAMPLES = 20
FACTOR = 4.0
LOWEST_FACTOR = 3.0
HIGHEST_FACTOR = 5.0

# Relative slack for float noise, so 4 x 0.25 lands on 1, not past it.
_EPSILON = 1e-9
# Within one decade, the values people write: 1, 1.5, 2, 2.5, 3, 4, 5, 7.5.
_MANTISSAS = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5)
# From ten seconds up, round to what a clock face suggests instead of decimals.
_CLOCK_VALUES = (
    10.0,
    15.0,
    20.0,
    30.0,
    45.0,
    60.0,
    90.0,
    120.0,
    180.0,
    240.0,
    300.0,
    450.0,
    600.0,
    900.0,
    1200.0,
    1800.0,
    2700.0,
    3600.0,
    5400.0,
    7200.0,
    10800.0,
    14400.0,
    21600.0,
    43200.0,
    86400.0,
)


@dataclass(frozen=True)
class Suggestion:
    """A threshold worth offering, with the arithmetic that produced it."""

    seconds: float
    p99: float
    current: float
    rule: str

    @property
    def differs(self) -> bool:
        """Whether applying it would change anything."""
        return not math.isclose(self.seconds, self.current, rel_tol=_EPSILON)


def nice_values_around(target: float) -> list[float]:
    """The human-friendly thresholds near ``target``, ascending, so callers can round to one."""
    if target >= _CLOCK_VALUES[0]:
        # Past a day, whole hours are round enough.
        hours = range(25, math.ceil(target / 3600) + 2) if target > _CLOCK_VALUES[-1] else ()
        return [*_CLOCK_VALUES, *(3600.0 * h for h in hours)]
    exponent = math.floor(math.log10(target))
    # Parsing "1.5e-2" gives the float nearest 0.015, where 1.5 * 0.01 would not.
    decimals = [
        float(f"{m:g}e{e}") for e in (exponent - 1, exponent, exponent + 1) for m in _MANTISSAS
    ]
    return [v for v in decimals if v < _CLOCK_VALUES[0]] + list(_CLOCK_VALUES[:2])


def round_to_nice(target: float, low: float, high: float) -> float:
    """Round ``target`` up to a nice value, or down if up would leave [low, high]."""
    values = nice_values_around(target)
    slack = target * _EPSILON
    above = [v for v in values if v >= target - slack]
    if above and above[0] <= high + slack:
        return above[0]
    below = [v for v in values if low - slack <= v < target]
    if below:
        return below[-1]
    return target  # no nice value in the band: the exact figure still obeys the rule


def suggest_threshold(p99: float | None, current: float, samples: int) -> Suggestion | None:
    """Offer 4 x p99 as a round number, so users stop guessing thresholds; None if unsure."""
    if p99 is None or samples < MIN_SAMPLES or not p99 > 0 or math.isinf(p99):
        return None
    target = FACTOR * p99
    seconds = round_to_nice(target, LOWEST_FACTOR * p99, HIGHEST_FACTOR * p99)
    # The multiplication sign and en dash are on purpose: people read this line, nothing parses it.
    rule = (
        f"{FACTOR:g} × p99 gap ({_figure(p99)}) = {_figure(target)} "  # noqa: RUF001
        f"→ {format_duration(seconds)}; "
        f"the field's rule is {LOWEST_FACTOR:g}–{HIGHEST_FACTOR:g} × p99"  # noqa: RUF001
    )
    return Suggestion(seconds=seconds, p99=p99, current=current, rule=rule)


def _figure(seconds: float) -> str:
    """Three significant figures: enough to check the arithmetic by eye."""
    if seconds < 0.01:
        return f"{seconds * 1000:.3g}ms"
    if seconds < 100:
        return f"{seconds:.3g}s"
    return f"{seconds:.0f}s"
