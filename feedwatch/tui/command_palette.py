"""Command palette entries: every key's action, and each action for each feed by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from feedwatch.tui.app import FeedwatchApp

# Per-feed actions offered for every feed: (label, app method name).
FEED_ACTIONS = (
    ("Reconnect", "reconnect_feed"),
    ("Pause or resume", "toggle_pause_feed"),
    ("Show details of", "open_details"),
    ("Set threshold of", "ask_threshold"),
)


class FeedwatchCommands(Provider):
    """The palette shows the same truth as the footer: bindings first, then per feed."""

    @property
    def _app(self) -> FeedwatchApp:
        return cast("FeedwatchApp", self.app)

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = self._app
        commands: list[tuple[str, Callable[[], object], str]] = []
        for binding in app.palette_bindings():
            commands.append(
                (
                    binding.description,
                    partial(app.run_action, binding.action),
                    f"key: {binding.key}  {binding.tooltip or ''}".strip(),
                )
            )
        for name in app.view.feed_names():
            for label, method in FEED_ACTIONS:
                commands.append(
                    (f"{label} {name}", partial(getattr(app, method), name), f"feed {name}")
                )
        return commands

    async def discover(self) -> Hits:
        for label, run, help_text in self._commands():
            yield DiscoveryHit(label, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, run, help_text in self._commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), run, help=help_text)
