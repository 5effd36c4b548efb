"""A stale_after threshold suggested from a feed's own gaps, by the field's 3-5 x p99 rule.

A threshold far above the feed's worst normal gap detects outages late; one at or
below it raises false alarms. Practitioners set it at 3-5 times the p99 gap. We take
4 times, rounded up to a value a person would write in a config (1.5s, 30s, 5m), and
keep it within 3-5 x p99 even when rounding would carry it out of that band.

What a suggestion offered to people rests on (``advise``) is the watch's window of
*normal* gaps (``Watch.normal_gaps``): about the last hour, leaving out every gap that
spans a stall, a reconnect, a pause, a quiet window or a restart, and every gap above
the threshold in force. Otherwise the stall a threshold should catch becomes its p99,
and applying the suggestion hides the very failure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from feedwatch.config.durations import format_duration
from feedwatch.engine.events import rough_duration
from feedwatch.engine.gap_histogram import GapEvidence

# The arithmetic's own floor: fewer gaps than this and the p99 is really the max of a handful.
MIN_SAMPLES = 20
# What a suggestion offered to people needs (``advise``). 200 normal gaps, as a learned
# threshold needs: the p99 is then the third-largest gap, so one odd gap cannot set it.
MIN_GAPS = 200
# ...over ten minutes at least: a busy feed sends 200 gaps in seconds, and seconds show
# none of its minute-scale rhythm (bursts, snapshot cycles, a server's periodic pauses).
MIN_SPAN = 600.0
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


def suggest_threshold(
    p99: float | None,
    current: float,
    samples: int,
    basis: str = "p99 gap",
    held: float | None = None,
) -> Suggestion | None:
    """Offer 4 x p99 as a round number, so users stop guessing thresholds; None if unsure.

    ``held`` (the figure offered last) is offered again while it stays within 3-5 x p99,
    so a p99 wavering across a bin edge does not flip the offer between two round numbers.
    """
    if p99 is None or samples < MIN_SAMPLES or not p99 > 0 or math.isinf(p99):
        return None
    target = FACTOR * p99
    low, high = LOWEST_FACTOR * p99, HIGHEST_FACTOR * p99
    slack = target * _EPSILON
    seconds, kept = round_to_nice(target, low, high), False
    if held is not None and held != seconds and low - slack <= held <= high + slack:
        seconds, kept = held, True
    # The multiplication sign and en dash are on purpose: people read this line, nothing parses it.
    rule = (
        f"{FACTOR:g} × {basis} ({_figure(p99)}) = {_figure(target)} "  # noqa: RUF001
        f"→ {format_duration(seconds)}{' (as before)' if kept else ''}; "
        f"the field's rule is {LOWEST_FACTOR:g}–{HIGHEST_FACTOR:g} × p99"  # noqa: RUF001
    )
    return Suggestion(seconds=seconds, p99=p99, current=current, rule=rule)


@dataclass(frozen=True)
class Advice:
    """A threshold to offer one feed or channel, or why there is none, and its evidence."""

    current: float
    evidence: GapEvidence
    suggestion: Suggestion | None
    why_not: str = ""  # for people, when there is no suggestion: "need 200 normal gaps ..."

    @property
    def basis(self) -> str:
        """What the figure rests on, for people: "p99 of 7,696 gaps over 1h 02m"."""
        return _basis(self.evidence)


def advise(evidence: GapEvidence, current: float, stale: bool, held: float | None = None) -> Advice:
    """A suggestion from normal gaps only, offered on enough evidence and never mid-stall.

    ``held`` is the figure offered last: it stands while still within the rule.
    """
    gaps, span = evidence.gaps, evidence.span
    if gaps < MIN_GAPS or span < MIN_SPAN:
        why = (
            f"need {MIN_GAPS} normal gaps over {format_duration(MIN_SPAN)} "
            f"(have {gaps:,} over {rough_duration(span)})"
        )
        if evidence.left_out:
            why += f"; {left_out_text(evidence.left_out)}"
        return Advice(current, evidence, None, why)
    suggestion = suggest_threshold(evidence.p99, current, gaps, _basis(evidence), held)
    if suggestion is None:  # pragma: no cover - a binned p99 is at least 1 ms
        return Advice(current, evidence, None, "no usable p99 gap")
    if stale and suggestion.seconds > current:
        why = (
            f"not while stale: raising stale_after to {format_duration(suggestion.seconds)} "
            "now would hide the stall"
        )
        return Advice(current, evidence, None, why)
    return Advice(current, evidence, suggestion)


def _basis(evidence: GapEvidence) -> str:
    return f"p99 of {evidence.gaps:,} gaps over {rough_duration(evidence.span)}"


def left_out_text(count: int) -> str:
    """How many gaps a window did not learn from, and why such gaps are left out."""
    noun = "gap" if count == 1 else "gaps"
    return f"{count:,} {noun} left out (stalls, reconnects, pauses, above stale_after)"


def _figure(seconds: float) -> str:
    """Three significant figures: enough to check the arithmetic by eye."""
    if seconds < 0.01:
        return f"{seconds * 1000:.3g}ms"
    if seconds < 100:
        return f"{seconds:.3g}s"
    return f"{seconds:.0f}s"
