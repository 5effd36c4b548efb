"""Heartbeat, ignore and reply matchers: every form loads; one that can never match is an error."""

from __future__ import annotations

import pytest

from feedwatch.config.model import MatcherSpec
from tests.config_text import FEED, error, load, problem


@pytest.mark.parametrize(
    ("body", "spec"),
    [
        ("contains = 'hb'", MatcherSpec(contains=("hb",))),
        ("contains = ['hb', 'ping']", MatcherSpec(contains=("hb", "ping"))),
        ("regex = '^hb$'", MatcherSpec(regex=("^hb$",))),
        ("regex = ['^a', 'b$']", MatcherSpec(regex=("^a", "b$"))),
        ("json = { event = 'heartbeat' }", MatcherSpec(json=(("event", "heartbeat"),))),
        ("json = { 'data.type' = 'hb' }", MatcherSpec(json=(("data.type", "hb"),))),
        ("json = { data.type = 'hb' }", MatcherSpec(json=(("data.type", "hb"),))),
        ("json = { n = 1, ok = true }", MatcherSpec(json=(("n", 1), ("ok", True)))),
        ("json = { params = {} }", MatcherSpec(json=(("params", {}),))),
    ],
)
def test_heartbeat_matchers_in_every_form(body: str, spec: MatcherSpec) -> None:
    assert load(FEED + f"[feeds.heartbeat]\n{body}\n").feeds[0].heartbeat == spec


@pytest.mark.parametrize(
    ("body", "found"),
    [("", "none of them"), ("contains = 'a'\nregex = 'b'", "contains and regex")],
)
def test_a_matcher_needs_exactly_one_rule(body: str, found: str) -> None:
    assert problem(FEED + f"[feeds.ignore]\n{body}\n") == (
        f'feed "binance-btc": ignore: expected exactly one of contains, json or regex, '
        f"found {found}"
    )


def test_a_reply_without_a_rule_names_the_reply() -> None:
    assert problem(FEED + "[[feeds.reply]]\nsend = 'pong'\n") == (
        'feed "binance-btc": reply[0]: expected exactly one of contains, json or regex, '
        "found none of them"
    )


def test_a_broken_regex_reports_the_regex_error() -> None:
    assert problem(FEED + "[feeds.heartbeat]\nregex = ['ok', '(hb']\n") == (
        'feed "binance-btc": heartbeat.regex[1]: invalid regular expression "(hb": '
        "missing ), unterminated subpattern at position 0"
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("contains = ''", 'heartbeat.contains: must not be empty, found ""'),
        ("contains = []", "heartbeat.contains: expected at least one pattern, found []"),
        (
            "json = {}",
            "heartbeat.json: expected at least one dotted.path = value pair, like "
            '{ event = "heartbeat" }',
        ),
        (
            "json = { 'a..b' = 1 }",
            'heartbeat.json."a..b": is not a dotted JSON path (empty part between dots)',
        ),
        ("json = { at = 1979-05-27 }", "heartbeat.json.at: 1979-05-27 can never appear in JSON"),
    ],
)
def test_matchers_that_could_never_work_are_errors(body: str, expected: str) -> None:
    assert problem(FEED + f"[feeds.heartbeat]\n{body}\n") == f'feed "binance-btc": {expected}'


def test_app_level_ping_must_fire_and_say_something() -> None:
    text = FEED + "[feeds.ping]\nevery = 0\nsend = ''\n"
    assert error(text).splitlines()[1:] == [
        '  feed "binance-btc": ping.every: must be greater than zero, found 0',
        '  feed "binance-btc": ping.send: must not be empty, found ""',
    ]
