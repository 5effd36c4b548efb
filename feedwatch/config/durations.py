"""Durations as people write them ("500ms", "1h30m") and as feedwatch shows them back."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal

EXPECTED_DURATION = 'a duration like "500ms", "30s", "5m", "1h" or a number of seconds'

_UNIT_SECONDS = {
    "d": Decimal(86400),
    "h": Decimal(3600),
    "m": Decimal(60),
    "s": Decimal(1),
    "ms": Decimal("0.001"),
}
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_BARE_NUMBER = re.compile(rf"\+?{_NUMBER}")
# One "<number><unit>" part; the unit is any run of letters so an unknown one can be named.
_PART = re.compile(rf"\s*({_NUMBER})\s*([A-Za-zµ]*)\s*")
_LARGEST_FIRST = ("d", "h", "m")


def parse_duration(value: object) -> float:
    """Read a threshold the way a person writes it, so configs say "5m" instead of 300."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(_expected(value))
    if isinstance(value, str):
        seconds = _parse_text(value)
        if math.isinf(seconds):
            raise ValueError(_expected(value, "it is too large"))
        return seconds
    try:
        seconds = float(value)
    except OverflowError:  # an integer past the largest float
        raise ValueError(_expected(value, "it is too large")) from None
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError(_expected(value, "it must be a finite number"))
    if seconds < 0:
        raise ValueError(_expected(value, "it must not be negative"))
    return seconds


def format_duration(seconds: float) -> str:
    """Show a duration in the shortest form parse_duration reads back to the same value."""
    if math.isnan(seconds) or math.isinf(seconds) or seconds < 0:
        raise ValueError(f"cannot format {seconds!r} as a duration: it must be finite and >= 0")
    remaining = Decimal(repr(float(seconds)))
    if remaining == 0:
        return "0s"
    parts: list[str] = []
    for unit in _LARGEST_FIRST:
        whole, remaining = divmod(remaining, _UNIT_SECONDS[unit])
        if whole:
            parts.append(f"{_plain(whole)}{unit}")
    if remaining:
        if not parts and remaining < 1:
            parts.append(f"{_plain(remaining * 1000)}ms")
        else:
            parts.append(f"{_plain(remaining)}s")
    return "".join(parts)


def _parse_text(text: str) -> float:
    stripped = text.strip()
    if not stripped:
        raise ValueError(_expected(text, "it is empty"))
    if stripped.startswith("-"):
        raise ValueError(_expected(text, "it must not be negative"))
    if _BARE_NUMBER.fullmatch(stripped):
        return float(stripped)
    total = Decimal(0)
    position = 0
    while position < len(text):
        part = _PART.match(text, position)
        if part is None or part.end() == position:
            raise ValueError(_expected(text))
        number, unit = part.groups()
        if unit not in _UNIT_SECONDS:
            reason = f'"{unit}" is not a unit' if unit else f'"{number}" has no unit'
            raise ValueError(_expected(text, f"{reason}; use ms, s, m, h or d"))
        total += Decimal(number) * _UNIT_SECONDS[unit]
        position = part.end()
    return float(total)


def _plain(number: Decimal) -> str:
    """Write a Decimal without exponent or trailing zeros: 1.50 -> "1.5", 2E+1 -> "20"."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _expected(found: object, reason: str = "") -> str:
    shown = json.dumps(found) if isinstance(found, str) else _shown(found)
    return f"expected {EXPECTED_DURATION}, found {shown}" + (f" ({reason})" if reason else "")


def _shown(found: object) -> str:
    if isinstance(found, bool):
        return "true" if found else "false"
    return repr(found)
