"""Presets fill in a feed from a name and symbols, explicit keys win, and mistakes are located."""

from __future__ import annotations

import pytest

from feedwatch.cli import main
from feedwatch.config.loader import ConfigError, parse_config
from feedwatch.config.presets import PRESETS
from feedwatch.config.presets.render import expanded_toml
from feedwatch.engine.classify import Classifier
from feedwatch.transports.kind import Kind


def feed_text(*lines: str) -> str:
    return "\n".join(["[[feeds]]", 'name = "x"', 'stale_after = "10s"', *lines]) + "\n"


def test_explicit_keys_override_the_preset() -> None:
    text = feed_text(
        'preset = "okx"',
        'symbols = ["BTC-USDT"]',
        'url = "ws://127.0.0.1:9/okx"',
        'channel_key = "arg.channel"',
        "[feeds.ping]",
        'every = "5s"',
        'send = "ping"',
    )
    feed = parse_config(text, None, {}).feeds[0]
    assert feed.url == "ws://127.0.0.1:9/okx"
    assert feed.channel_key == "arg.channel"
    assert feed.ping is not None and feed.ping.every == 5.0
    # Keys not written still come from the preset.
    assert feed.planned_close is not None and feed.event_time == "data.0.ts"


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_presets_expanded_table_loads_without_the_preset(name: str) -> None:
    shown = expanded_toml(PRESETS[name], ["AAA", "BBB"])
    assert "preset" not in shown.replace(f"# preset {name}", "")
    from_table = parse_config(shown, None, {}).feeds[0]
    from_preset = parse_config(
        feed_text(f'preset = "{name}"', 'symbols = ["AAA", "BBB"]').replace('"x"', f'"{name}"'),
        None,
        {},
    ).feeds[0]
    assert replace_stale(from_table) == replace_stale(from_preset)


def replace_stale(feed: object) -> object:
    from dataclasses import replace

    return replace(feed, stale_after=0.0)  # type: ignore[type-var]


def test_an_unknown_preset_is_located_with_a_suggestion() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(feed_text('preset = "binance-spto"', 'symbols = ["btcusdt"]'), None, {})
    assert str(err.value.problems[0]).startswith(
        'feed "x": preset: unknown preset "binance-spto" (did you mean "binance-spot"?)'
    )


def test_a_preset_needs_symbols_and_symbols_need_a_preset() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(feed_text('preset = "bybit"'), None, {})
    assert "symbols: required with preset 'bybit'" in str(err.value)
    with pytest.raises(ConfigError) as err:
        parse_config(feed_text('url = "ws://h"', 'symbols = ["a"]'), None, {})
    assert 'feed "x": symbols: has no effect without preset' in str(err.value)


def test_presets_command_lists_name_and_exchange(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(PRESETS)
    assert lines[0].split()[1] == "Binance"


def test_presets_show_prints_a_table_check_config_accepts(
    capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    assert main(["presets", "show", "binance-spot", "--symbols", "solusdt"]) == 0
    shown = capsys.readouterr().out
    feed = parse_config(shown, None, {}).feeds[0]
    assert feed.url.endswith("/stream?streams=solusdt@trade")
    from pathlib import Path

    path = Path(str(tmp_path)) / "c.toml"
    path.write_text(shown)
    assert main(["check-config", "--config", str(path)]) == 0


def test_presets_show_names_an_unknown_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets", "show", "krakn"]) == 2
    assert 'unknown preset "krakn"' in capsys.readouterr().err


def preset_classifier(name: str, symbols: str, *keys: str) -> Classifier:
    text = feed_text(f'preset = "{name}"', f"symbols = {symbols}", *keys)
    return Classifier(parse_config(text, None, {}).feeds[0])


def test_bitfinex_heartbeats_carry_flag_numbers_and_the_conf_ack_is_ignored() -> None:
    # event_time written out, so this holds whatever the event_time list support does.
    bitfinex = preset_classifier("bitfinex", '["tBTCUSD"]', 'event_time = "2.1"')
    for beat in (b'[17,"hb"]', b'[17,"hb",127]', b'[17,"hb",1700000000000]'):
        assert bitfinex.classify(beat)[0] is Kind.HEARTBEAT, beat
    assert bitfinex.classify(b'[17,"hb",127,1700000000000]')[0] is Kind.HEARTBEAT
    assert bitfinex.classify(b'{"event":"conf","status":"OK","flags":65536}')[0] is Kind.IGNORED
    trade = b'[17,"te",[401597395,1574694478808,0.005,7245.3],128]'
    snapshot = b"[17,[[401597395,1574694478808,0.005,7245.3]],129]"
    assert bitfinex.classify(trade)[:2] == (Kind.DATA, "17")
    assert bitfinex.classify(snapshot)[:2] == (Kind.DATA, "17")


def test_kraken_v1_book_messages_are_channelled_by_their_pair() -> None:
    kraken = preset_classifier("kraken", '["XBT/USD"]')
    both = b'[336,{"a":[["5541.3","2.5","1534614248.1"]]},{"b":[["5541.2","1.5","1534614248.1"]]},'
    assert kraken.classify(both + b'"book-10","XBT/USD"]')[:2] == (Kind.DATA, "XBT/USD")
    bids = b'[336,{"b":[["5541.2","1.5","1534614248.1"]]},"book-10","XBT/USD"]'
    assert kraken.classify(bids)[:2] == (Kind.DATA, "XBT/USD")
    trade = b'[337,[["5541.2","0.15","1534614057.321597","s","l",""]],"trade","XBT/USD"]'
    assert kraken.classify(trade)[:2] == (Kind.DATA, "XBT/USD")
