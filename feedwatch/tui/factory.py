"""Build the dashboard the one way both the CLI and the snapshot tests use."""

from __future__ import annotations

from pathlib import Path

from textual.markup import escape

from feedwatch.config.model import Config
from feedwatch.engine.clock import Clock
from feedwatch.engine.engine import Engine
from feedwatch.runtime import Runtime
from feedwatch.tui.app import DEFAULT_REFRESH_HZ, FeedwatchApp
from feedwatch.tui.history_view import EventHistory


def build_app(
    config: Config,
    *,
    runtime: Runtime | None = None,
    engine: Engine | None = None,
    clock: Clock | None = None,
    source: str | None = None,
    start_engine: bool = True,
    refresh_hz: float = DEFAULT_REFRESH_HZ,
    notice: str | None = None,
    history: EventHistory | None = None,
    low_bandwidth: bool = False,
) -> FeedwatchApp:
    """The app over a runtime (built here from ``config`` unless given), which the app
    starts and stops. Tests pass an engine on a fake clock and start_engine=False: the app
    then only views it, and ``history`` is what its log and uptime read (the caller owns it).
    """
    if start_engine:
        runtime = runtime or Runtime(config, engine=engine, clock=clock)
        runtime.open()  # the history, before the terminal is taken
        view: Engine = runtime.view
        history = runtime.history if history is None else history
    else:
        runtime = None
        view = engine or Engine(config, clock=clock)
    path: Path | None = config.source
    # Notices name files and tables ("[server] token"): text, not markup.
    notice = escape(notice) if notice else None
    return FeedwatchApp(
        view,
        runtime=runtime,
        source=source or (f"config: {path}" if path else "built-in demo feeds"),
        config_path=path,
        refresh_hz=refresh_hz,
        notice=notice,
        history=history,
        low_bandwidth=low_bandwidth,
    )
