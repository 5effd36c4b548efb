"""Values of the right type but the wrong meaning are explained: units, limits, URLs."""

from __future__ import annotations

import pytest

from tests.config_text import FEED, error, feed, load, problem

# -- meaning --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("stale_after", "0", "stale_after: must be greater than zero, found 0"),
        ("stale_after", '"-5s"', "must not be negative"),
        ("open_timeout", '"0ms"', 'open_timeout: must be greater than zero, found "0ms"'),
        ("max_channels", "0", "max_channels: must be at least 1, found 0"),
        ("max_size", "0", "max_size: expected a size"),
        ("max_size", '"1 MiBB"', "use a number and one of B, kB, KB, MB, GB, KiB, MiB, GiB"),
        ("subscribe", '""', 'subscribe: must not be empty, found ""'),
        (
            "subscribe",
            "[{ at = 1979-05-27 }]",
            "subscribe[0]: cannot be sent as JSON: it holds a TOML date/time, nan or inf",
        ),
        ("channel_key", '"data..channel"', 'expected a dotted JSON path like "data.channel"'),
    ],
)
def test_values_of_the_right_type_but_wrong_meaning_are_explained(
    key: str, value: str, expected: str
) -> None:
    assert expected in problem(feed(**{key: value}))


@pytest.mark.parametrize(
    ("written", "size"), [("1048576", 1048576), ('"512KiB"', 524288), ('"4MB"', 4_000_000)]
)
def test_message_size_limits_accept_bytes_and_units(written: str, size: int) -> None:
    assert load(FEED + f"max_size = {written}\n").feeds[0].max_size == size


@pytest.mark.parametrize(
    ("written", "interval"),
    [("false", None), ("0", None), ('"0s"', None), ("true", 20.0), ('"5s"', 5.0)],
)
def test_protocol_pings_can_be_turned_off(written: str, interval: float | None) -> None:
    text = FEED + f"protocol_ping = {written}\nprotocol_ping_timeout = {written}\n"
    (feed,) = load(text).feeds
    assert feed.protocol_ping_interval == interval
    assert feed.protocol_ping_timeout == interval


def test_duplicate_feed_names_name_both_feeds() -> None:
    text = FEED + FEED
    assert error(text).splitlines()[1:] == [
        '  feeds[0] (line 2) and feeds[1] (line 7) are both named "binance-btc"; '
        "feed names must be unique"
    ]


def test_problems_in_same_named_feeds_say_which_one() -> None:
    text = FEED + FEED.replace('"30s"', '"0s"')
    assert 'feed "binance-btc" (feeds[1], line 7): stale_after: must be greater than zero' in (
        error(text)
    )


def test_backoff_initial_longer_than_the_default_max_says_it_is_the_default() -> None:
    assert problem(FEED + "[feeds.backoff]\ninitial = '2m'\n") == (
        'feed "binance-btc": backoff.initial (2m) must not exceed backoff.max (1m, the default)'
    )


def test_zero_backoff_and_storm_thresholds_are_rejected() -> None:
    text = FEED + "[feeds.backoff]\ninitial = 0\n[feeds.storm]\nreconnects = 0\nwindow = '0s'\n"
    assert error(text).splitlines()[1:] == [
        '  feed "binance-btc": backoff.initial: must be greater than zero, found 0',
        '  feed "binance-btc": storm.reconnects: must be at least 1, found 0',
        '  feed "binance-btc": storm.window: must be greater than zero, found "0s"',
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("channels", '["btcusdt@trade"]'),
        ("channel_stale_after", '"1m"'),
        ("reconnect_on_channel_stale", "true"),
    ],
)
def test_channel_settings_without_channel_key_are_errors(key: str, value: str) -> None:
    assert problem(FEED + f"{key} = {value}\n") == (
        f'feed "binance-btc": {key}: has no effect without channel_key, the dotted JSON path '
        '(like "stream") that names a message\'s channel'
    )


def test_a_channel_listed_twice_is_an_error() -> None:
    text = FEED + 'channel_key = "stream"\nchannels = ["a", "b", "a"]\n'
    assert problem(text) == 'feed "binance-btc": channels[2]: "a" is listed twice'


# -- urls -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://stream.example.com/ws",
            'expected a ws:// or wss:// URL, found "https://stream.example.com/ws" '
            "(for a WebSocket use wss://)",
        ),
        (
            "http://stream.example.com/ws",
            'found "http://stream.example.com/ws" (for a WebSocket use ws://)',
        ),
        (
            "stream.example.com/ws",
            'found "stream.example.com/ws" (WebSocket URLs start with ws:// or wss://)',
        ),
        ("wss:///path", 'expected a ws:// or wss:// URL with a host, found "wss:///path"'),
        ("wss://example.com:99999/", "expected a port number from 1 to 65535"),
        ("wss://example.com/a b", "expected a URL without spaces"),
    ],
)
def test_urls_must_be_websocket_urls(url: str, expected: str) -> None:
    assert expected in problem(feed(url=f'"{url}"'))


def test_scheme_is_case_insensitive() -> None:
    assert load(FEED.replace("wss://", "WSS://")).feeds[0].url.startswith("WSS://")


# -- subscribe ------------------------------------------------------------------------------------


def test_a_single_subscribe_string_is_sent_verbatim() -> None:
    text = FEED + 'subscribe = \'{ "method": "SUBSCRIBE" }\'\n'
    assert load(text).feeds[0].subscribe == ('{ "method": "SUBSCRIBE" }',)


def test_a_subscribe_table_is_sent_as_compact_json() -> None:
    text = FEED + 'subscribe = { method = "SUBSCRIBE", params = ["btcusdt@trade"], id = 1 }\n'
    assert load(text).feeds[0].subscribe == (
        '{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}',
    )
