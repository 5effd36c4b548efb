"""Where feedwatch keeps its files, following each platform's conventions via platformdirs."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "feedwatch"


def _config_dir() -> Path:
    """The one place the config directory is looked up, so tests can patch it."""
    return platformdirs.user_config_path(APP_NAME)


def default_config_path() -> Path:
    """The config file used when none is named on the command line."""
    return _config_dir() / "config.toml"


def user_themes_dir() -> Path:
    """Where user theme files live, next to the config they belong with."""
    return _config_dir() / "themes"


def state_dir() -> Path:
    """Where history survives restarts; kept apart from config so deleting it is harmless."""
    return platformdirs.user_state_path(APP_NAME)
