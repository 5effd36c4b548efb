"""Build the dashboard the one way both the CLI and the snapshot tests use."""

from __future__ import annotations

from pathlib import Path

from feedwatch.config.model import Config
from feedwatch.engine.clock import Clock
from feedwatch.engine.engine import Engine
from feedwatch.tui.app import DEFAULT_REFRESH_HZ, FeedwatchApp
from feedwatch.tui.history_view import EventHistory


def build_app(
    config: Config,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    source: str | None = None,
    start_engine: bool = True,
    refresh_hz: float = DEFAULT_REFRESH_HZ,
    notice: str | None = None,
    history: EventHistory | None = None,
) -> FeedwatchApp:
    """The app for a config; tests pass an engine on a fake clock and start_engine=False.

    ``history`` is the open history store (or None when history is off); the caller owns it.
    """
    engine = engine or Engine(config, clock=clock)
    path: Path | None = config.source
    return FeedwatchApp(
        engine,
        source=source or (f"config: {path}" if path else "built-in demo feeds"),
        config_path=path,
        refresh_hz=refresh_hz,
        start_engine=start_engine,
        notice=notice,
        history=history,
    )
