"""The threshold dialog: type an exact stale_after like ``90s``, validated as you type."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label

from feedwatch.config.durations import format_duration, parse_duration
from feedwatch.tui.threshold_steps import ThresholdBounds

HINT = "Enter to apply, Escape to cancel"


class DurationValidator(Validator):
    """Accepts what the config file accepts for stale_after."""

    def validate(self, value: str) -> ValidationResult:
        try:
            seconds = parse_duration(value.strip())
        except ValueError as exc:
            return self.failure(str(exc))
        if seconds <= 0:
            return self.failure("the threshold must be more than zero")
        return self.success()


class ThresholdDialog(ModalScreen[float | None]):
    """Returns the new threshold in seconds, or None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="threshold.cancel",
                tooltip="Close without changing the threshold"),
    ]  # fmt: skip

    def __init__(self, feed: str, current: float, bounds: ThresholdBounds | None = None) -> None:
        super().__init__()
        self.feed = feed
        self.current = current
        self.bounds = bounds
        self._warned: float | None = None  # the out-of-bounds value Enter must confirm

    def compose(self) -> ComposeResult:
        with Vertical(id="threshold-dialog"):
            yield Label(f"stale_after for [b]{self.feed}[/b] (now {format_duration(self.current)})")
            yield Input(
                value=format_duration(self.current),
                placeholder="e.g. 90s, 1m30s, 500ms",
                validators=[DurationValidator()],
                validate_on=["changed", "submitted"],
                id="threshold-input",
            )
            yield Label(HINT, id="threshold-hint")

    def on_mount(self) -> None:
        self.query_one(Input).select_all()

    @on(Input.Changed)
    def _show_problem(self, event: Input.Changed) -> None:
        hint = self.query_one("#threshold-hint", Label)
        result = event.validation_result
        if result is not None and not result.is_valid:
            hint.update(result.failure_descriptions[0])
            hint.add_class("-invalid")
        else:
            hint.update(HINT)
            hint.remove_class("-invalid")
            hint.remove_class("-warning")
        self._warned = None

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        if event.validation_result is not None and not event.validation_result.is_valid:
            return
        seconds = parse_duration(event.value.strip())
        problem = None if self.bounds is None else self.bounds.problem(seconds)
        if problem is not None and self._warned != seconds:
            self._warned = seconds  # asked once: Enter again applies it
            hint = self.query_one("#threshold-hint", Label)
            hint.update(
                f"{format_duration(seconds)} is {problem}. Enter again to apply it anyway, "
                "Escape to cancel"
            )
            hint.add_class("-warning")
            return
        self.dismiss(seconds)

    def action_cancel(self) -> None:
        self.dismiss(None)
