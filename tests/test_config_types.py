"""Values of the wrong type are reported the way the user wrote them, never as a traceback."""

from __future__ import annotations

import msgspec
import pytest

from feedwatch.config import schema
from feedwatch.config.loader import ConfigError
from tests.config_text import FEED, error, feed, load, problem


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("url", "5", "url: expected a string, found 5"),
        ("reconnect_on_stale", '"yes"', 'reconnect_on_stale: expected true or false, found "yes"'),
        ("max_channels", "1.5", "max_channels: expected an integer, found 1.5"),
        ("channels", '"btc"', 'channels: expected a list, found "btc"'),
        ("channels", '["a", 2]', "channels[1]: expected a string, found 2"),
        ("headers", "{ X-Key = 1 }", "headers.X-Key: expected a string, found 1"),
        ("headers", '{ "X Key" = 1 }', 'headers."X Key": expected a string, found 1'),
        ("subscribe", "[1]", "subscribe[0]: expected a string or a table, found 1"),
        (
            "subscribe",
            "42",
            "subscribe: expected a string, an inline table, or a list of them, found 42",
        ),
        (
            "open_timeout",
            "false",
            'open_timeout: expected a duration like "500ms", "30s", "5m", "1h" or a number of '
            "seconds, found false",
        ),
        (
            "protocol_ping",
            "[20]",
            'protocol_ping: expected a duration like "500ms", "30s", "5m", "1h" or a number of '
            "seconds, or false to turn it off, found [20]",
        ),
        (
            "max_size",
            "1.5",
            'max_size: expected a size like "512KiB", "1MiB", "4MB" or a number of bytes, '
            "found 1.5",
        ),
        ("channel_key", "1979-05-27", "channel_key: expected a string, found 1979-05-27"),
        ("heartbeat", '"hb"', 'heartbeat: expected a table ([feeds.heartbeat]), found "hb"'),
        ("reply", '"x"', 'reply: expected a list of tables ([[feeds.reply]]), found "x"'),
    ],
)
def test_wrong_types_are_reported_with_the_value_as_written(
    key: str, value: str, expected: str
) -> None:
    assert problem(feed(**{key: value})) == f'feed "binance-btc": {expected}'


def test_a_feed_without_a_usable_name_is_called_by_its_position_and_line() -> None:
    text = FEED + '\n[[feeds]]\nname = ""\nurl = 5\nstale_after = "1s"\n'
    assert error(text).splitlines()[1:] == [
        '  feeds[1] (line 7): name: must not be empty, found ""',
        "  feeds[1] (line 7): url: expected a string, found 5",
    ]


def test_a_nested_table_missing_a_required_key_names_it() -> None:
    assert problem(FEED + "[feeds.ping]\nevery = '5s'\n") == (
        'feed "binance-btc": ping.send: required key is missing'
    )


def test_a_single_bracket_reply_table_is_told_to_use_double_brackets() -> None:
    assert problem(FEED + "[feeds.reply]\ncontains = 'a'\nsend = 'b'\n") == (
        'feed "binance-btc": reply: expected a list of tables, found one table; '
        "write [[feeds.reply]] (two brackets) above each one"
    )


def test_a_double_bracket_heartbeat_is_told_to_use_single_brackets() -> None:
    assert problem(FEED + "[[feeds.heartbeat]]\ncontains = 'a'\n") == (
        'feed "binance-btc": heartbeat: expected one table, found a list of tables; '
        "write [feeds.heartbeat], one bracket"
    )


def test_a_single_bracket_feeds_table_is_told_to_use_double_brackets() -> None:
    assert problem(FEED.replace("[[feeds]]", "[feeds]")) == (
        "feeds: expected a list of tables, found one table; write [[feeds]] (two brackets) "
        "above each one"
    )


def test_a_feed_that_is_not_a_table_is_named_by_position() -> None:
    assert problem('feeds = ["binance"]\n') == (
        'feeds[0]: expected a table ([[feeds]]), found "binance"'
    )


@pytest.mark.parametrize(
    "value",
    ["true", "1", "-1", "1.5", "nan", '"x"', '""', "[]", "[1]", "{}", "{ a = 1 }", "1979-05-27"],
)
def test_any_value_for_any_key_loads_or_explains_never_crashes(value: str) -> None:
    keys = [field.encode_name for field in msgspec.structs.fields(schema.FeedTable)]
    tables = {
        "heartbeat": ["contains", "json", "regex"],
        "ping": ["every", "send"],
        "backoff": ["initial", "max", "stable_after"],
        "storm": ["reconnects", "window"],
    }
    texts = [feed(**{key: value}) for key in keys]
    texts += [
        FEED + f"[feeds.{table}]\n{key} = {value}\n"
        for table, table_keys in tables.items()
        for key in table_keys
    ]
    texts += [
        FEED + f"[[feeds.reply]]\nsend = 'x'\n{key} = {value}\n" for key in tables["heartbeat"]
    ]
    texts += [f"[server]\nlisten = {value}\n" + FEED, f"feeds = {value}\n", f"server = {value}\n"]
    for text in texts:
        try:
            load(text)
        except ConfigError as caught:
            assert "Traceback" not in str(caught)
