"""The [server] table: where the health server listens, as people write addresses."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedwatch.config.model import ServerConfig
from tests.config_text import FEED, load, problem


@pytest.mark.parametrize(
    ("listen", "host", "port"),
    [
        ('"127.0.0.1:9321"', "127.0.0.1", 9321),
        ('"0.0.0.0:80"', "0.0.0.0", 80),
        ('"localhost:9321"', "localhost", 9321),
        ('"[::1]:9321"', "::1", 9321),
        ('":9321"', "127.0.0.1", 9321),
        ("9321", "127.0.0.1", 9321),
    ],
)
def test_listen_addresses_in_every_documented_form(listen: str, host: str, port: int) -> None:
    server = load(f"[server]\nlisten = {listen}\n" + FEED).server
    assert server == ServerConfig(host=host, port=port)
    assert server.enabled


def test_an_empty_server_table_leaves_the_server_off() -> None:
    assert not load("[server]\n" + FEED).server.enabled


@pytest.mark.parametrize(
    ("listen", "reason"),
    [
        ('"localhost"', "no port; add one, as in :9321"),
        ('"::1:9321"', "put an IPv6 address in brackets, as in [::1]:9321"),
        ('":99999"', "the port must be a number from 1 to 65535"),
        ('":0"', "the port must be a number from 1 to 65535"),
        ('"host:http"', "the port must be a number from 1 to 65535"),
        ('"[nothost]:9321"', '"nothost" is not an IPv6 address'),
        ('"[::1]"', 'an IPv6 address is written like "[::1]:9321"'),
        ('"my host:9321"', '"my host" is not a host name or IP address'),
    ],
)
def test_bad_listen_addresses_say_what_is_wrong(listen: str, reason: str) -> None:
    assert problem(f"[server]\nlisten = {listen}\n" + FEED) == (
        '[server]: listen: expected an address like "127.0.0.1:9321", "[::1]:9321" or ":9321", '
        f"found {listen} ({reason})"
    )


def test_ui_refresh_rate_is_read() -> None:
    from feedwatch.config.loader import parse_config

    config = parse_config(
        '[ui]\nrefresh_hz = 10\n[[feeds]]\nname = "a"\nurl = "ws://127.0.0.1:1/"\nstale_after = 1\n'
    )
    assert config.ui.refresh_hz == 10.0


def test_ui_refresh_rate_out_of_range_is_a_located_error() -> None:
    import pytest

    from feedwatch.config.loader import ConfigError, parse_config

    with pytest.raises(ConfigError) as info:
        parse_config(
            '[ui]\nrefresh_hz = 500\n[[feeds]]\nname = "a"\nurl = "ws://127.0.0.1:1/"\n'
            "stale_after = 1\n"
        )
    assert "[ui]: refresh_hz: expected a refresh rate from 0.5 to 30" in str(info.value)
    assert "found 500" in str(info.value)


def test_history_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    from feedwatch.config.loader import parse_config

    config = parse_config(
        '[history]\npath = "data/h.db"\nretention = "7d"\n'
        '[[feeds]]\nname = "a"\nurl = "ws://127.0.0.1:1/"\nstale_after = 1\n',
        source=tmp_path / "feedwatch.toml",
    )
    assert config.history.path == tmp_path / "data" / "h.db"
    assert config.history.retention_days == 7.0
    assert config.history.enabled
