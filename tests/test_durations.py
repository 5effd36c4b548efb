"""Durations are written by people and shown back to them; both directions must agree."""

from __future__ import annotations

import math

import pytest

from feedwatch.config.durations import format_duration, parse_duration

EXPECTED = 'expected a duration like "500ms", "30s", "5m", "1h" or a number of seconds'


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ("500ms", 0.5),
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("2d", 172800.0),
        ("1.5s", 1.5),
        (".5s", 0.5),
        ("1h30m", 5400.0),
        ("1h 30m", 5400.0),
        (" 2m 30s ", 150.0),
        ("1m500ms", 60.5),
        ("30", 30.0),
        ("0.25", 0.25),
        ("0s", 0.0),
        (30, 30.0),
        (2.5, 2.5),
        (0, 0.0),
    ],
)
def test_written_durations_become_seconds(written: str | float, seconds: float) -> None:
    assert parse_duration(written) == seconds


def test_milliseconds_convert_without_float_noise() -> None:
    assert parse_duration("3ms") == 0.003
    assert parse_duration("1s100ms") == 1.1


@pytest.mark.parametrize("flag", [True, False])
def test_true_and_false_are_not_durations(flag: bool) -> None:
    with pytest.raises(ValueError, match="found " + str(flag).lower()):
        parse_duration(flag)


@pytest.mark.parametrize("written", [-1, -0.5, "-5s", "-5", "-1h30m"])
def test_negative_durations_are_rejected(written: str | float) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        parse_duration(written)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_rejected(value: float) -> None:
    with pytest.raises(ValueError, match="must be a finite number"):
        parse_duration(value)


@pytest.mark.parametrize("written", ["", "   "])
def test_empty_text_is_rejected(written: str) -> None:
    with pytest.raises(ValueError, match="it is empty"):
        parse_duration(written)


def test_unknown_unit_is_named_with_the_units_that_work() -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration("30 sec")
    assert str(caught.value) == (
        f'{EXPECTED}, found "30 sec" ("sec" is not a unit; use ms, s, m, h or d)'
    )


def test_unit_letters_are_case_sensitive_so_months_never_pass_for_minutes() -> None:
    with pytest.raises(ValueError, match='"M" is not a unit'):
        parse_duration("5M")


def test_a_number_missing_its_unit_inside_a_compound_is_named() -> None:
    with pytest.raises(ValueError, match='"30" has no unit'):
        parse_duration("1h30")


@pytest.mark.parametrize("written", ["abc", "nan", "inf", "1e3", "h", "1..5s", "5s!"])
def test_garbage_says_what_was_expected_and_what_was_found(written: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(written)
    message = str(caught.value)
    assert message.startswith(EXPECTED)
    assert f'found "{written}"' in message


@pytest.mark.parametrize("value", [None, [1], {"s": 1}])
def test_values_of_other_types_are_rejected(value: object) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0s"),
        (0.5, "500ms"),
        (0.001, "1ms"),
        (0.0005, "0.5ms"),
        (1.5, "1.5s"),
        (30, "30s"),
        (60, "1m"),
        (90, "1m30s"),
        (90.5, "1m30.5s"),
        (3600, "1h"),
        (5400, "1h30m"),
        (7200, "2h"),
        (86400, "1d"),
        (90061, "1d1h1m1s"),
    ],
)
def test_durations_are_shown_in_their_shortest_readable_form(seconds: float, shown: str) -> None:
    assert format_duration(seconds) == shown


@pytest.mark.parametrize(
    "seconds", [0, 0.001, 0.1, 0.25, 1, 1.1, 3.3, 59.999, 61, 599.5, 3601, 86400 * 7 + 0.5, 1e-9]
)
def test_shown_durations_read_back_to_the_same_value(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_reading_then_showing_normalises_what_was_written() -> None:
    assert format_duration(parse_duration("90s")) == "1m30s"
    assert format_duration(parse_duration("0.5")) == "500ms"


@pytest.mark.parametrize("seconds", [-1, math.nan, math.inf])
def test_only_finite_non_negative_durations_can_be_shown(seconds: float) -> None:
    with pytest.raises(ValueError, match="cannot format"):
        format_duration(seconds)
