"""/health and /metrics served beyond this machine without a token draw a warning."""

from __future__ import annotations

import pytest

from feedwatch.config.loader import parse_config

FEED = """
[[feeds]]
name = "orders"
url = "wss://feeds.example.com/ws"
stale_after = "30s"
"""


@pytest.mark.parametrize(
    "listen", ["0.0.0.0:9321", "[::]:9321", "10.0.0.5:9321", "monitor.lan:9321"]
)
def test_listening_wider_than_loopback_without_a_token_warns(listen: str) -> None:
    config = parse_config(f'[server]\nlisten = "{listen}"\n' + FEED)
    (warning,) = config.warnings
    assert "serves /health and /metrics beyond this machine without a token" in warning
    assert "[server] token" in warning
    assert "127.0.0.1" in warning


@pytest.mark.parametrize(
    "listen", ["127.0.0.1:9321", ":9321", "[::1]:9321", "localhost:9321", "127.0.0.2:9321"]
)
def test_loopback_is_quiet(listen: str) -> None:
    assert parse_config(f'[server]\nlisten = "{listen}"\n' + FEED).warnings == ()


def test_a_token_makes_a_wide_listen_quiet() -> None:
    text = '[server]\nlisten = "0.0.0.0:9321"\ntoken = "t0ken-for-health"\n' + FEED
    assert parse_config(text).warnings == ()


def test_no_server_no_warning() -> None:
    assert parse_config(FEED).warnings == ()
