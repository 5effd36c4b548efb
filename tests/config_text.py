"""The config texts the config tests share, and how a test loads one and reads what it says."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from feedwatch.config.loader import ConfigError, parse_config
from feedwatch.config.model import Config

SOURCE = Path("/home/u/.config/feedwatch/config.toml")
FEED = """
[[feeds]]
name = "binance-btc"
url = "wss://stream.binance.com:9443/stream?streams=btcusdt@trade"
stale_after = "30s"
"""


def feed(**keys: str) -> str:
    """FEED with keys replaced or added, each value written as TOML."""
    values = {
        "name": '"binance-btc"',
        "url": '"wss://stream.binance.com:9443/stream?streams=btcusdt@trade"',
        "stale_after": '"30s"',
    }
    values.update(keys)
    return "[[feeds]]\n" + "".join(f"{key} = {value}\n" for key, value in values.items())


def load(text: str, environ: dict[str, str] | None = None) -> Config:
    return parse_config(textwrap.dedent(text), SOURCE, environ or {})


def error(text: str, environ: dict[str, str] | None = None) -> str:
    """The full message a user would see for this config."""
    with pytest.raises(ConfigError) as caught:
        load(text, environ)
    return str(caught.value)


def problem(text: str, environ: dict[str, str] | None = None) -> str:
    """The one problem line a user would see for this config."""
    with pytest.raises(ConfigError) as caught:
        load(text, environ)
    assert len(caught.value.problems) == 1, str(caught.value)
    return str(caught.value.problems[0])
