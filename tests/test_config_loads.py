"""A well-formed config loads into exactly what the engine is told to do."""

from __future__ import annotations

from feedwatch.config.model import (
    DEFAULT_MAX_SIZE,
    BackoffSpec,
    MatcherSpec,
    PingSpec,
    ReplyRule,
    ServerConfig,
    StormSpec,
)
from tests.config_text import FEED, SOURCE, load


def test_a_minimal_feed_loads_with_documented_defaults() -> None:
    config = load(FEED)
    (feed,) = config.feeds
    assert feed.name == "binance-btc"
    assert feed.url == "wss://stream.binance.com:9443/stream?streams=btcusdt@trade"
    assert feed.url_template == feed.url
    assert feed.stale_after == 30.0
    assert feed.subscribe == ()
    assert feed.heartbeat is None and feed.ignore is None and feed.ping is None
    assert feed.backoff == BackoffSpec(initial=1.0, max=60.0, stable_after=30.0)
    assert feed.storm == StormSpec(reconnects=5, window=600.0)
    assert feed.reconnect_on_stale is True
    assert feed.reconnect_on_channel_stale is False
    assert feed.max_size == DEFAULT_MAX_SIZE
    assert feed.open_timeout == 10.0
    assert feed.protocol_ping_interval == 20.0
    assert feed.protocol_ping_timeout == 20.0
    assert feed.max_channels == 1000
    assert feed.secrets == ()
    assert config.server == ServerConfig(host="127.0.0.1", port=None)
    assert not config.server.enabled
    assert config.source == SOURCE


def test_every_key_reaches_the_feed_config() -> None:
    config = load(
        """
        [server]
        listen = "0.0.0.0:9400"

        [[feeds]]
        name = "full"
        url = "wss://example.com/${PATH}"
        stale_after = 45
        subscribe = ['{"op":"sub"}', { op = "sub", args = ["a", 1, true] }]
        headers = { Authorization = "Bearer ${TOKEN}", X-Client = "feedwatch" }
        channel_key = "arg.channel"
        channels = ["a", "b"]
        channel_stale_after = "2m"
        reconnect_on_stale = false
        reconnect_on_channel_stale = true
        max_size = "512KiB"
        open_timeout = "5s"
        protocol_ping = "15s"
        protocol_ping_timeout = 7.5
        max_channels = 50

        [feeds.heartbeat]
        json = { event = "heartbeat", data = { kind = "hb" } }

        [feeds.ignore]
        contains = ['"event":"subscribed"', '"event":"info"']

        [feeds.ping]
        every = "20s"
        send = '{"op":"ping"}'

        [[feeds.reply]]
        regex = 'test_request'
        send = 'pong'

        [[feeds.reply]]
        contains = "are you there"
        send = "yes"

        [feeds.backoff]
        initial = "500ms"
        max = "2m"
        stable_after = 0

        [feeds.storm]
        reconnects = 3
        window = "1h"
        """,
        {"PATH": "v1", "TOKEN": "s3cret"},
    )
    (feed,) = config.feeds
    assert config.server == ServerConfig(host="0.0.0.0", port=9400)
    assert feed.url == "wss://example.com/v1"
    assert feed.url_template == "wss://example.com/${PATH}"
    assert feed.stale_after == 45.0
    assert feed.subscribe == ('{"op":"sub"}', '{"op":"sub","args":["a",1,true]}')
    assert feed.headers == (("Authorization", "Bearer s3cret"), ("X-Client", "feedwatch"))
    assert feed.secrets == ("v1", "s3cret")
    assert feed.channel_key == "arg.channel"
    assert feed.channels == ("a", "b")
    assert feed.channel_stale_after == 120.0
    assert feed.effective_channel_stale_after == 120.0
    assert feed.reconnect_on_stale is False
    assert feed.reconnect_on_channel_stale is True
    assert feed.max_size == 512 * 1024
    assert feed.open_timeout == 5.0
    assert feed.protocol_ping_interval == 15.0
    assert feed.protocol_ping_timeout == 7.5
    assert feed.max_channels == 50
    assert feed.heartbeat == MatcherSpec(json=(("event", "heartbeat"), ("data.kind", "hb")))
    assert feed.ignore == MatcherSpec(contains=('"event":"subscribed"', '"event":"info"'))
    assert feed.ping == PingSpec(every=20.0, send='{"op":"ping"}')
    assert feed.replies == (
        ReplyRule(match=MatcherSpec(regex=("test_request",)), send="pong"),
        ReplyRule(match=MatcherSpec(contains=("are you there",)), send="yes"),
    )
    assert feed.backoff == BackoffSpec(initial=0.5, max=120.0, stable_after=0.0)
    assert feed.storm == StormSpec(reconnects=3, window=3600.0)


def test_channel_threshold_defaults_to_the_feed_threshold() -> None:
    (feed,) = load(FEED + 'channel_key = "stream"\n').feeds
    assert feed.channel_stale_after is None
    assert feed.effective_channel_stale_after == 30.0


def test_feeds_keep_the_order_of_the_file() -> None:
    text = FEED + FEED.replace("binance-btc", "second") + FEED.replace("binance-btc", "third")
    assert [feed.name for feed in load(text).feeds] == ["binance-btc", "second", "third"]


def test_a_byte_order_mark_from_windows_editors_is_accepted() -> None:
    assert load("\ufeff" + FEED).feeds[0].name == "binance-btc"
