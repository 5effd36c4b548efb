"""The starter config that "feedwatch init" writes loads, documents every key and never clobbers."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from feedwatch.config import schema
from feedwatch.config.loader import load_config, parse_config
from feedwatch.config.starter import starter_text, write_starter_config

_COMMENTED_CODE = re.compile(r"# (\[\[?[\w.]+\]\]?$|[A-Za-z_][\w.]*\s*=|\s{4}['\"{\[]|\])")


def test_the_starter_config_loads_cleanly() -> None:
    config = parse_config(starter_text(), None, {})
    assert [feed.name for feed in config.feeds] == ["binance-trades"]
    assert config.feeds[0].url.startswith("wss://stream.binance.com:9443/stream?streams=")


def test_every_commented_example_in_the_starter_loads_when_uncommented() -> None:
    text = "\n".join(
        line[2:] if _COMMENTED_CODE.match(line) else line for line in starter_text().splitlines()
    )
    environ = {
        "FEED_TOKEN": "t",
        "FEED_API_KEY": "k",
        "FEEDWATCH_TOKEN": "s",
        "SLACK_HOOK": "h",
        "FEEDWATCH_PUSH_TOKEN": "p",
    }
    config = parse_config(text, None, environ)
    assert config.server.enabled
    assert len(config.feeds) == 9


def test_the_starter_documents_every_key() -> None:
    text = starter_text()
    tables: list[tuple[str, type[msgspec.Struct]]] = [
        ("", schema.ConfigFile),
        ("server", schema.ServerTable),
        ("feeds", schema.FeedTable),
        ("feeds.heartbeat", schema.MatcherTable),
        ("feeds.ping", schema.PingTable),
        ("feeds.reply", schema.ReplyTable),
        ("feeds.backoff", schema.BackoffTable),
        ("feeds.storm", schema.StormTable),
        ("feeds.tls", schema.TlsTable),
        ("feeds.planned_close", schema.MatcherTable),
        ("feeds.schedule", schema.ScheduleTable),
        ("alerts", schema.AlertTable),
        ("ui", schema.UiTable),
        ("history", schema.HistoryTable),
    ]
    for table, struct in tables:
        for field in msgspec.structs.fields(struct):
            key = field.encode_name
            documented = re.search(rf"^#?\s*{key}\s*=", text, re.MULTILINE) or re.search(
                rf"^#?\s*\[\[?{table}{'.' if table else ''}{key}\]\]?$", text, re.MULTILINE
            )
            assert documented, f"{table or 'top level'}: {key} is not in starter.toml"


def test_writing_the_starter_creates_missing_directories(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "config.toml"
    assert write_starter_config(path) == path
    assert path.read_text(encoding="utf-8") == starter_text()
    assert load_config(path, environ={}).feeds[0].name == "binance-trades"


def test_writing_the_starter_never_overwrites_an_existing_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("# mine\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match="not overwriting"):
        write_starter_config(path)
    assert path.read_text(encoding="utf-8") == "# mine\n"
