"""Unknown keys are errors at every level, with a suggestion, so typos never disable a check."""

from __future__ import annotations

import pytest

from tests.config_text import FEED, problem


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("feed = 1\n" + FEED, 'unknown top-level key "feed" (did you mean "feeds"?)'),
        (
            'listen = ":9321"\n' + FEED,
            'unknown top-level key "listen"; it belongs in the [server] table',
        ),
        (
            'stale_after = "1m"\n' + FEED,
            'unknown top-level key "stale_after"; it belongs in a [[feeds]] table, '
            "below its [[feeds]] line",
        ),
        (
            '[server]\nlisen = ":9321"\n' + FEED,
            '[server]: unknown key "lisen" (did you mean "listen"?)',
        ),
        (
            "[server]\nport = 9321\n" + FEED,
            '[server]: unknown key "port"; expected listen or token',
        ),
        (FEED + "Name = 'x'\n", 'feed "binance-btc": unknown key "Name" (did you mean "name"?)'),
        (
            FEED + "[feeds.backoff]\nintial = '1s'\n",
            'feed "binance-btc": unknown key "backoff.intial" (did you mean "backoff.initial"?)',
        ),
        (
            FEED + "[feeds.storm]\nwindw = '1m'\n",
            'feed "binance-btc": unknown key "storm.windw" (did you mean "storm.window"?)',
        ),
        (
            FEED + "[feeds.ping]\nevery = '5s'\nsend = 'p'\nsendd = 'q'\n",
            'feed "binance-btc": unknown key "ping.sendd" (did you mean "ping.send"?)',
        ),
        (
            FEED + "[[feeds.reply]]\ncontains = 'a'\nsend = 'b'\nanswer = 'c'\n",
            'feed "binance-btc": unknown key "reply[0].answer"; expected contains, json, regex '
            "or send",
        ),
        (
            FEED + "[feeds.heartbeat]\ncontain = 'hb'\n",
            'feed "binance-btc": unknown key "heartbeat.contain" (did you mean '
            '"heartbeat.contains"?)',
        ),
        (
            FEED + "[feeds.heartbeat]\ncontains = 'hb'\nchannel_key = 'stream'\n",
            'feed "binance-btc": unknown key "heartbeat.channel_key"; channel_key is a feed key, '
            "so move it above the [feeds.heartbeat] line (keys below a [table] line belong to "
            "that table)",
        ),
        (
            FEED + '[server]\nlisten = ":9321"\nopen_timeout = "5s"\n',
            '[server]: unknown key "open_timeout"; open_timeout is a feed key, so move it above '
            "the [server] line (keys below a [table] line belong to that table)",
        ),
    ],
)
def test_unknown_keys_are_errors_with_a_suggestion(text: str, line: str) -> None:
    assert problem(text) == line


def test_a_misspelt_required_key_is_reported_once_not_also_as_missing() -> None:
    assert problem(FEED.replace("url =", "uri =")) == (
        'feed "binance-btc": unknown key "uri" (did you mean "url"?)'
    )
