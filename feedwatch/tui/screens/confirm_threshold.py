"""Asks before a suggested threshold replaces the one in force, showing old → new."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from feedwatch.tui.screens.detail_text import seconds
from feedwatch.tui.screens.help import key_label

APPLY_ID = "confirm_threshold.apply"
CANCEL_ID = "confirm_threshold.cancel"


class ConfirmThreshold(ModalScreen[bool]):
    """Returns True to apply the new threshold, False to keep the old one."""

    CSS_PATH = "confirm_threshold.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter,y",
            "answer(True)",
            "Apply",
            id=APPLY_ID,
            tooltip="Set stale_after to the suggested value",
        ),
        Binding(
            "escape,n",
            "answer(False)",
            "Cancel",
            id=CANCEL_ID,
            tooltip="Keep stale_after as it is",
        ),
    ]

    def __init__(self, feed: str, old: float, new: float, rule: str) -> None:
        super().__init__()
        self.feed = feed
        self.old = old
        self.new = new
        self.rule = rule

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Label(
                Content.assemble("Apply the suggested stale_after to ", (self.feed, "bold"), "?")
            )
            yield Static(
                Content.assemble(
                    (seconds(self.old), "bold"),
                    " → ",
                    (seconds(self.new), "bold $text-success"),
                ),
                id="confirm-change",
            )
            yield Static(Content.styled(self.rule, "$text-muted"), id="confirm-rule")
            yield Label(id="confirm-hint")

    def on_mount(self) -> None:
        # The keys as the user has them (they may be remapped), one binding per key here.
        keys: dict[str, list[str]] = {APPLY_ID: [], CANCEL_ID: []}
        for active in self.active_bindings.values():
            if active.binding.id in keys:
                keys[active.binding.id].append(key_label(active.binding))
        apply, cancel = (" or ".join(keys[i]) for i in (APPLY_ID, CANCEL_ID))
        self.query_one("#confirm-hint", Label).update(f"{apply} to apply, {cancel} to cancel")

    def action_answer(self, apply: bool) -> None:
        """Close the dialog with the user's answer."""
        self.dismiss(apply)
