"""Classification: cheap checks first, JSON parsed only when a rule needs it."""

from __future__ import annotations

from dataclasses import replace

from feedwatch.config.model import FeedConfig, MatcherSpec, ReplyRule
from feedwatch.engine.classify import Classifier
from feedwatch.transports.kind import Kind

BASE = FeedConfig(name="f", url="ws://127.0.0.1:1/", stale_after=1.0)


def classify(raw: bytes, **changes: object) -> tuple[Kind, str | None, str | None]:
    return Classifier(replace(BASE, **changes)).classify(raw)  # type: ignore[arg-type]


def test_without_rules_every_message_is_data_and_nothing_is_parsed() -> None:
    assert classify(b"not json at all")[0] is Kind.DATA
    assert classify(b"\x00\xff binary")[0] is Kind.DATA


def test_heartbeat_by_substring() -> None:
    hb = MatcherSpec(contains=('"event":"heartbeat"',))
    assert classify(b'{"event":"heartbeat"}', heartbeat=hb)[0] is Kind.HEARTBEAT
    assert classify(b'{"event":"trade"}', heartbeat=hb)[0] is Kind.DATA


def test_heartbeat_by_json_equality_on_a_dotted_path() -> None:
    hb = MatcherSpec(json=(("params.type", "heartbeat"),))
    assert classify(b'{"params":{"type":"heartbeat"}}', heartbeat=hb)[0] is Kind.HEARTBEAT
    assert classify(b'{"params":{"type":"trade"}}', heartbeat=hb)[0] is Kind.DATA


def test_json_equality_does_not_confuse_true_with_one() -> None:
    hb = MatcherSpec(json=(("hb", True),))
    assert classify(b'{"hb":1}', heartbeat=hb)[0] is Kind.DATA
    assert classify(b'{"hb":true}', heartbeat=hb)[0] is Kind.HEARTBEAT


def test_heartbeat_by_regex() -> None:
    hb = MatcherSpec(regex=(r'^\{"type":\s*"(ping|hb)"',))
    assert classify(b'{"type": "hb"}', heartbeat=hb)[0] is Kind.HEARTBEAT
    assert classify(b'{"type": "trade"}', heartbeat=hb)[0] is Kind.DATA


def test_ignore_rules_win_over_everything() -> None:
    rule = MatcherSpec(contains=('"result":null',))
    hb = MatcherSpec(contains=("result",))
    assert classify(b'{"result":null,"id":1}', ignore=rule, heartbeat=hb)[0] is Kind.IGNORED


def test_reply_rules_say_what_to_send() -> None:
    rule = ReplyRule(MatcherSpec(contains=('"test_request"',)), '{"method":"public/test"}')
    kind, _, send = classify(b'{"params":{"type":"test_request"}}', replies=(rule,))
    assert kind is Kind.REPLY
    assert send == '{"method":"public/test"}'


def test_channel_comes_from_the_channel_key_path() -> None:
    kind, channel, _ = classify(b'{"stream":"btcusdt@trade","data":{}}', channel_key="stream")
    assert (kind, channel) == (Kind.DATA, "btcusdt@trade")
    assert classify(b'{"arg":{"channel":"tickers"}}', channel_key="arg.channel")[1] == "tickers"
    assert classify(b'[0, {"c": "x"}]', channel_key="1.c")[1] == "x"
    assert classify(b'{"other":1}', channel_key="stream")[1] is None


def test_invalid_json_is_not_data_when_a_rule_needs_json() -> None:
    classifier = Classifier(replace(BASE, channel_key="stream"))
    assert classifier.classify(b'{"stream": "a", trunc')[0] is Kind.INVALID
    assert "invalid JSON" in classifier.last_error


def test_deeply_nested_json_is_survived() -> None:
    classifier = Classifier(replace(BASE, channel_key="stream"))
    raw = b"[" * 100_000 + b"]" * 100_000
    assert classifier.classify(raw)[0] is Kind.INVALID
    assert "nested" in classifier.last_error
