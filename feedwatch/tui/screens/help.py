"""The help screen: every key, from the same Bindings the footer and palette use."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from feedwatch.engine.verdict import State
from feedwatch.tui.widgets.cells import STATE_SYMBOL

STATES = {
    State.LIVE: "data arrived within the threshold",
    State.STALE: "no data for longer than the threshold, whatever the socket says",
    State.PARTIAL: "data flows, but one or more channels is stale (live/total channels)",
    State.CONNECTING: "connecting, or subscribed and waiting for the first data",
    State.BACKOFF: "disconnected; waiting before the next attempt",
    State.PAUSED: "paused by you; never alarms",
    State.QUIET: "inside a quiet schedule window: connected and measured, never alarmed",
    State.FROZEN: "data arrives, but the watched value has not changed for frozen_after",
    State.LAGGING: "data arrives, but its own timestamps are older than max_lag",
}


def key_label(binding: Binding) -> str:
    keys = [k.strip() for k in binding.key.split(",")]
    names = {"plus": "+", "minus": "-", "equals_sign": "=", "question_mark": "?",
             "slash": "/", "enter": "Enter", "escape": "Esc", "ctrl+s": "Ctrl+S",
             "up": "↑", "down": "↓", "ctrl+c": "Ctrl+C", "home": "Home",
             "end": "End"}  # fmt: skip
    return " ".join(names.get(k, k) for k in keys)


class HelpScreen(ModalScreen[None]):
    """Lists the bindings it is given, and what each state means."""

    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close",
                tooltip="Close the help screen"),
    ]  # fmt: skip

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self._keys = bindings

    def compose(self) -> ComposeResult:
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column()
        for binding in self._keys:
            keys.add_row(key_label(binding), binding.description, binding.tooltip or "")
        states = Table.grid(padding=(0, 2))
        states.add_column(no_wrap=True)
        states.add_column()
        for state, meaning in STATES.items():
            states.add_row(f"{STATE_SYMBOL[state]} {state}", meaning)
        with VerticalScroll(id="help-dialog") as dialog:
            # Cut short at 80x24: the frame itself says there is more below.
            dialog.border_subtitle = "↑ ↓ PgUp PgDn scroll · Esc closes"
            yield Static("[b]Keys[/b]", classes="help-title")
            yield Static(keys)
            yield Static("[b]States[/b]", classes="help-title")
            yield Static(states)
            yield Static(
                "The bar shows how much of a feed's stale_after its current silence has "
                "used: it turns at 50 % and 80 %, and is full when the feed is stale. "
                "Press Esc to close.",
                classes="help-note",
            )

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
