"""Generated input: a bad config, duration, message or theme is reported, never a crash."""

from __future__ import annotations

import datetime
import json
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest
import tomlkit
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from feedwatch.config import schema
from feedwatch.config.durations import format_duration, parse_duration
from feedwatch.config.loader import parse_config
from feedwatch.config.model import FeedConfig, MatcherSpec, ReplyRule
from feedwatch.config.problems import ConfigError
from feedwatch.engine.classify import Classifier, json_path
from feedwatch.transports.kind import Kind
from feedwatch.tui.themes import COLOUR_FIELDS, KNOWN_KEYS, ThemeError, load_theme_file

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _schema_keys() -> list[str]:
    structs = [value for value in vars(schema).values() if isinstance(value, type)]
    names = {
        field.encode_name
        for struct in structs
        if issubclass(struct, msgspec.Struct)
        for field in msgspec.structs.fields(struct)
    }
    return sorted(names)


SCHEMA_KEYS = _schema_keys()
KEYS = st.sampled_from(SCHEMA_KEYS) | st.text(max_size=8)

TOML_SCALARS = (
    st.text(max_size=20)
    | st.sampled_from(["30s", "5m", "1h30m", "500ms", "auto", "${HOME}", "ws://x/", "sse"])
    | st.integers()
    | st.integers(min_value=2**1024, max_value=10**1000)
    | st.floats()
    | st.booleans()
    | st.datetimes(timezones=st.none() | st.just(datetime.UTC))
    | st.dates()
    | st.times()
)
TOML_VALUES = st.recursive(
    TOML_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=15,
)
FEED_TABLES = st.dictionaries(KEYS, TOML_VALUES, max_size=8).map(
    lambda extra: {"name": "f", "url": "ws://127.0.0.1:1/", "stale_after": "1s", **extra}
)
DOCUMENTS = st.dictionaries(KEYS, TOML_VALUES, max_size=6) | st.fixed_dictionaries(
    {"feeds": st.lists(FEED_TABLES, min_size=1, max_size=3)},
    optional={"server": TOML_VALUES, "ui": TOML_VALUES, "history": TOML_VALUES},
)


def _dump(document: dict[str, Any]) -> str:
    try:
        return tomlkit.dumps(document)
    except (ValueError, TypeError):  # a shape tomlkit cannot write is not a TOML document
        assume(False)
        raise


def _parses_or_reports(text: str) -> None:
    try:
        parse_config(text, None, {})
    except ConfigError as err:
        assert str(err).strip()


@PROPERTY
@given(DOCUMENTS)
def test_any_toml_document_loads_or_is_reported_as_a_config_error(
    document: dict[str, Any],
) -> None:
    _parses_or_reports(_dump(document))


# Integers past Python's 4300-digit conversion limit, which tomllib refuses with a bare ValueError.
LONG_INTEGERS = st.integers(min_value=300, max_value=5000).map(lambda digits: "9" * digits)
TOML_PIECES = st.sampled_from(["[[feeds]]\n", "name = ", '"x"\n', "= 1\n", "stale_after = "])
CONFIG_TEXT = st.text() | st.lists(TOML_PIECES | LONG_INTEGERS, max_size=8).map("".join)


@PROPERTY
@given(CONFIG_TEXT)
def test_any_text_loads_or_is_reported_as_a_config_error(text: str) -> None:
    _parses_or_reports(text)


DURATION_TEXT = (
    st.text()
    | st.from_regex(r"\s*[+-]?[0-9.]{0,12}\s*(ms|s|m|h|d|µs|x)?", fullmatch=True)
    | st.tuples(LONG_INTEGERS, st.sampled_from(["", "s", "d", ".5h"])).map("".join)
)


@PROPERTY
@given(
    DURATION_TEXT
    | st.integers()
    | st.integers(min_value=2**1024, max_value=10**1000)
    | st.floats()
    | st.booleans()
    | st.none()
)
def test_parse_duration_returns_a_finite_non_negative_float_or_raises_value_error(
    value: object,
) -> None:
    try:
        seconds = parse_duration(value)
    except ValueError as err:
        assert str(err)
        return
    assert isinstance(seconds, float)
    assert math.isfinite(seconds)
    assert seconds >= 0


@PROPERTY
@given(st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_formatted_durations_read_back_to_the_same_value(seconds: float) -> None:
    # format_duration writes the float's exact decimal repr, so only the final float rounds.
    assert math.isclose(parse_duration(format_duration(seconds)), seconds, rel_tol=1e-12)


JSON_KEYS = st.sampled_from(["a", "b", "type", "0", "1", "-1"]) | st.text(max_size=4)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_KEYS, inner, max_size=4),
    max_leaves=20,
)
PATHS = st.lists(JSON_KEYS, max_size=4).map(".".join)
MATCHERS = st.builds(
    MatcherSpec,
    contains=st.lists(st.text(max_size=6), max_size=2).map(tuple),
    json=st.lists(st.tuples(PATHS, JSON_VALUES), max_size=2).map(tuple),
)
FEEDS = st.builds(
    FeedConfig,
    name=st.just("f"),
    url=st.just("ws://127.0.0.1:1/"),
    stale_after=st.just(1.0),
    channel_key=st.none() | PATHS,
    heartbeat=st.none() | MATCHERS,
    ignore=st.none() | MATCHERS,
    planned_close=st.none() | MATCHERS,
    replies=st.lists(st.builds(ReplyRule, match=MATCHERS, send=st.just("pong")), max_size=2).map(
        tuple
    ),
    sequence=st.none() | PATHS,
)
# JSON whose strings hold raw bytes: invalid UTF-8 where a parser must check it.
RAW_STRINGS = st.builds(
    lambda key, junk: b'{"' + key + b'":"' + junk + b'"}',
    st.sampled_from([b"a", b"type", b"\xff"]),
    st.binary(max_size=8).map(lambda b: b.replace(b'"', b"").replace(b"\\", b"")),
)
MESSAGES = (
    st.binary(max_size=64)
    | RAW_STRINGS
    | JSON_VALUES.map(lambda value: json.dumps(value).encode())
    | JSON_VALUES.map(lambda value: json.dumps(value, ensure_ascii=False).encode())
)


@PROPERTY
@given(FEEDS, st.lists(MESSAGES, min_size=1, max_size=5))
def test_classifier_gives_every_message_a_kind_without_raising(
    feed: FeedConfig, messages: list[bytes]
) -> None:
    classifier = Classifier(feed)
    for raw in messages:
        kind, channel, reply = classifier.classify(raw)
        assert kind in set(Kind)
        assert channel is None or isinstance(channel, str)
        assert reply is None or kind is Kind.REPLY


@PROPERTY
@given(JSON_VALUES, st.lists(JSON_KEYS, max_size=5).map(tuple))
def test_json_path_never_raises(doc: Any, path: tuple[str, ...]) -> None:
    json_path(doc, path)


COLOURS = st.sampled_from(["#1e90ff", "ansi_blue", "red 50%", "rgb(1, 2, 3)", "auto", "nope"])
THEME_VALUES = COLOURS | TOML_SCALARS
THEME_DOCUMENTS = st.fixed_dictionaries(
    {"name": st.sampled_from(["mine", " bad", "a,b", "nord"]) | st.text(max_size=6)},
    optional={
        **{key: THEME_VALUES for key in KNOWN_KEYS if key not in ("name", "variables")},
        "variables": st.dictionaries(
            st.sampled_from(["border", "footer-key-foreground", "block-cursor-text-style"])
            | st.text(max_size=6),
            THEME_VALUES | st.sampled_from(["bold", "bold italic", "blink2"]),
            max_size=4,
        )
        | TOML_SCALARS,
    },
) | st.dictionaries(st.sampled_from(COLOUR_FIELDS) | st.text(max_size=6), TOML_VALUES, max_size=5)


@PROPERTY
@given(
    THEME_DOCUMENTS.map(_dump)
    | st.text()
    | st.binary(max_size=64)
    | LONG_INTEGERS.map(lambda digits: f'name = "x"\ntext_alpha = {digits}\n')
)
def test_any_theme_file_loads_or_is_reported_as_a_theme_error(content: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "theme.toml"
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8", errors="surrogatepass")
        else:
            path.write_bytes(content)
        try:
            load_theme_file(path)
        except ThemeError as err:
            assert str(err).strip()


def test_a_config_with_500_feeds_loads_quickly(capsys: pytest.CaptureFixture[str]) -> None:
    text = "".join(
        f'[[feeds]]\nname = "feed-{index}"\nurl = "wss://example.com/{index}"\n'
        f'stale_after = "{index % 60 + 1}s"\nchannel_key = "data.s"\n'
        f'heartbeat = {{ contains = "ping-{index}" }}\n\n'
        for index in range(500)
    )
    started = time.perf_counter()
    config = parse_config(text, None, {})
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n500-feed config loaded and validated in {elapsed * 1000:.0f} ms")
    assert len(config.feeds) == 500
    assert elapsed < 5.0
