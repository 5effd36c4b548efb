"""Every problem in a config is reported at once, in file order, naming the feed and key."""

from __future__ import annotations

import textwrap

import pytest

from feedwatch.config.loader import ConfigError
from tests.config_text import FEED, SOURCE, error, load, problem


def test_every_problem_is_reported_at_once_in_file_order() -> None:
    message = error(
        """
        [[feeds]]
        name = "binance-btc"
        url = "wss://stream.binance.com:9443/ws"
        stale_aftr = "30s"

        [[feeds]]
        name = "iot"
        url = "wss://iot.example/ws"
        stale_after = "30 sec"
        [feeds.backoff]
        initial = "2m"
        max = "1m"

        [[feeds]]
        url = "wss://x.example/ws"
        stale_after = "1m"
        """
    )
    assert message == textwrap.dedent(
        f"""\
        invalid config {SOURCE} (4 problems):
          feed "binance-btc": unknown key "stale_aftr" (did you mean "stale_after"?)
          feed "iot": stale_after: expected a duration like "500ms", "30s", "5m", "1h" or a number of seconds, found "30 sec" ("sec" is not a unit; use ms, s, m, h or d)
          feed "iot": backoff.initial (2m) must not exceed backoff.max (1m)
          feeds[2] (line 15): name: required key is missing"""  # noqa: E501
    )


def test_a_feed_with_a_malformed_key_still_has_its_other_keys_checked() -> None:
    message = error(FEED.replace('"30s"', "true") + 'url_extra = 1\nopen_timeout = "soon"\n')
    assert 'feed "binance-btc": stale_after: expected a duration' in message
    assert "found true" in message
    assert 'feed "binance-btc": unknown key "url_extra"' in message
    assert 'feed "binance-btc": open_timeout: expected a duration' in message
    assert 'found "soon"' in message


def test_a_problem_carries_the_feed_the_key_and_the_message() -> None:
    with pytest.raises(ConfigError) as caught:
        load(FEED.replace('"30s"', '"0s"'))
    (found,) = caught.value.problems
    assert (found.where, found.key, found.message) == (
        'feed "binance-btc"',
        "stale_after",
        'must be greater than zero, found "0s"',
    )
    assert caught.value.source == SOURCE


def test_no_feeds_at_all_explains_what_to_add() -> None:
    assert problem('[server]\nlisten = ":9321"\n') == (
        "no feeds configured: feedwatch only watches feeds listed in [[feeds]] tables; add one "
        'with at least name, url and stale_after ("feedwatch init" writes a commented example)'
    )


def test_an_empty_feeds_list_is_the_same_as_no_feeds() -> None:
    assert problem("feeds = []\n").startswith("no feeds configured")


def test_an_empty_file_is_the_same_as_no_feeds() -> None:
    assert problem("").startswith("no feeds configured")
