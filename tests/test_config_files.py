"""Config files on disk: where they live and what a user is told when one cannot be read."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from feedwatch.config import paths
from feedwatch.config.loader import ConfigError, load_config
from tests.config_text import FEED

# -- reading the file -----------------------------------------------------------------------------


def test_a_missing_file_is_named_with_a_way_forward(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"cannot read config {path}:\n"
        '  the file does not exist (run "feedwatch init" to write a commented starter)'
    )


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="it is a directory, not a file"):
        load_config(tmp_path)


def test_a_file_that_is_not_utf8_says_where_the_bad_byte_is(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(FEED.encode() + b"# caf\xe9 latin-1\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"cannot read config {path}:\n"
        "  the file is not UTF-8 text: byte 0xe9 at line 6, column 6 is not valid UTF-8 "
        "(save the file as UTF-8)"
    )


def test_a_file_on_disk_loads_and_remembers_where_it_came_from(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(FEED, encoding="utf-8")
    config = load_config(path, environ={})
    assert config.source == path
    assert config.feeds[0].name == "binance-btc"


def test_environment_defaults_to_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEEDWATCH_TEST_HOST", "example.org")
    path = tmp_path / "config.toml"
    path.write_text(FEED.replace("stream.binance.com", "${FEEDWATCH_TEST_HOST}"), "utf-8")
    assert load_config(path).feeds[0].url.startswith("wss://example.org:9443/")


# -- where files live -----------------------------------------------------------------------------


def test_default_locations_follow_platform_conventions() -> None:
    config_dir = platformdirs.user_config_path("feedwatch")
    assert paths.default_config_path() == config_dir / "config.toml"
    assert paths.user_themes_dir() == config_dir / "themes"
    assert paths.state_dir() == platformdirs.user_state_path("feedwatch")


def test_one_patch_moves_every_config_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paths, "_config_dir", lambda: tmp_path)
    assert paths.default_config_path() == tmp_path / "config.toml"
    assert paths.user_themes_dir() == tmp_path / "themes"
