"""Theme colours as Rich styles, for cells that are drawn as Rich text.

The table's cells are Rich renderables, which cannot read CSS variables, so the
colours are looked up from the running theme whenever it changes. Going through
Textual's Color keeps ANSI themes ANSI (``ansi_green`` becomes colour 2).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from textual.color import Color, ColorParseError


def _parse(value: str | None, fallback: str) -> Color:
    try:
        return Color.parse(value or fallback)
    except ColorParseError:
        return Color.parse(fallback)


def _style(variables: dict[str, str], name: str, fallback: str, bold: bool = False) -> Style:
    color = _parse(variables.get(name), fallback)
    if color.a < 1.0:  # e.g. muted foregrounds: blend over the background as CSS would
        color = _parse(variables.get("background"), "black") + color
    return Style(color=color.rich_color, bold=bold)


@dataclass(frozen=True)
class Palette:
    live: Style
    stale: Style
    danger: Style  # close to stale
    warn: Style
    busy: Style  # connecting / backoff
    muted: Style
    accent: Style
    text: Style

    @classmethod
    def from_variables(cls, variables: dict[str, str]) -> Palette:
        """Build from ``App.theme_variables`` (all themes define these names)."""
        return cls(
            live=_style(variables, "success", "green"),
            stale=_style(variables, "error", "red", bold=True),
            danger=_style(variables, "error", "red"),
            warn=_style(variables, "warning", "yellow"),
            busy=_style(variables, "accent", "cyan"),
            muted=_style(variables, "foreground-muted", "#7f7f7f"),
            accent=_style(variables, "primary", "blue"),
            text=_style(variables, "foreground", "white"),
        )

    @classmethod
    def monochrome(cls) -> Palette:
        plain = Style()
        return cls(
            live=plain,
            stale=Style(bold=True, reverse=True),
            danger=Style(bold=True),
            warn=Style(bold=True),
            busy=plain,
            muted=Style(dim=True),
            accent=Style(bold=True),
            text=plain,
        )
