"""What the terminal already shows, cell by cell, so a repaint writes only what changed.

Textual repaints whole regions: a row whose age ticks from 0.3s to 0.4s is sent
again from its first cell to its last, and every segment carries its full colour
escape and a reset. Over ssh on a slow link that is most of the traffic. This keeps
a copy of the screen as last written (each cell's text and its rendered style) and
turns each compositor update into the cells that differ: one cursor move per run
of changes, and a colour escape only where the style changes within the run.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import get_character_cell_size
from rich.color import ColorSystem
from rich.console import Console
from rich.segment import ControlType, Segment
from rich.style import Style
from textual._compositor import CompositorUpdate
from textual.strip import Strip

from feedwatch.tui.ascii_glyphs import ascii_glyph

# A cell: its text ("" for the right half of a wide character) and its SGR codes.
Cell = tuple[str, str]
UNKNOWN: Cell = ("\x00", "?")  # never equal to a drawn cell: a fresh screen is all unknown
# Unchanged cells between two changes that are rewritten rather than skipped with a
# cursor move (a move costs about 8 bytes, a plain cell 1 to 3).
BRIDGE = 3
STYLE_CACHE = 4096


class DiffUpdate(CompositorUpdate):
    """A compositor update already reduced to the bytes that change the screen."""

    def __init__(self, sequence: str) -> None:
        self.sequence = sequence

    def render_segments(self, console: Console) -> str:
        return self.sequence


class ScreenDiff:
    """The screen as last written; ``diff`` turns an update into the changes alone."""

    def __init__(self, ascii_only: bool = False) -> None:
        # Low-bandwidth mode: every glyph reaches the terminal as ASCII (ascii_glyphs.py).
        self.ascii_only = ascii_only
        self._rows: list[list[Cell]] = []
        self._size = (0, 0)
        self._codes: dict[Style, str] = {}

    def reset(self) -> None:
        """Forget the screen (a resize, or anything else that may have changed it)."""
        self._rows = []

    def diff(self, update: CompositorUpdate, console: Console, size: tuple[int, int]) -> str:
        """The escape sequence that brings the terminal from what it shows to ``update``."""
        width, height = size
        if size != self._size or not self._rows:
            self._size = size
            self._rows = [[UNKNOWN] * width for _ in range(height)]
        color_system = console._color_system or ColorSystem.TRUECOLOR
        wanted = self._cells(update, console, color_system, width, height)
        out: list[str] = []
        for y in sorted(wanted):
            self._write_row(y, wanted[y], out)
        if out:
            out.append("\x1b[0m")
        return "".join(out)

    # -- reading the update ---------------------------------------------------

    def _codes_of(self, style: Style | None, color_system: ColorSystem) -> str:
        if style is None:
            return ""
        codes = self._codes.get(style)
        if codes is None:
            if len(self._codes) >= STYLE_CACHE:
                self._codes.clear()
            codes = self._codes[style] = Strip.render_ansi(style, color_system)
        return codes

    def _cells(
        self,
        update: CompositorUpdate,
        console: Console,
        color_system: ColorSystem,
        width: int,
        height: int,
    ) -> dict[int, dict[int, Cell]]:
        """Each line's cells as the update draws them, by position."""
        wanted: dict[int, dict[int, Cell]] = {}
        x = y = 0
        line: dict[int, Cell] = {}
        segments: Iterable[Segment] = update.__rich_console__(console, console.options)  # type: ignore[attr-defined]
        for segment in segments:
            if segment.control:
                for control in segment.control:
                    if control[0] is ControlType.CURSOR_MOVE_TO:
                        x, y = int(control[1]), int(control[2])  # type: ignore[misc]
                        line = wanted.setdefault(y, {}) if 0 <= y < height else {}
                continue
            text = segment.text
            if text == "\n":
                continue
            codes = self._codes_of(segment.style, color_system)
            if text.isascii():
                for char in text:
                    if 0 <= x < width:
                        line[x] = (char, codes)
                    x += 1
                continue
            for char in text:
                size = get_character_cell_size(char)
                if size == 0:  # a combining mark joins the cell before it
                    if x - 1 in line and not self.ascii_only:
                        line[x - 1] = (line[x - 1][0] + char, line[x - 1][1])
                    continue
                if self.ascii_only:
                    for offset, plain in enumerate(ascii_glyph(char, size)):
                        if 0 <= x + offset < width:
                            line[x + offset] = (plain, codes)
                elif 0 <= x < width:
                    line[x] = (char, codes)
                    if size == 2 and x + 1 < width:
                        line[x + 1] = ("", codes)
                x += size
        return wanted

    # -- writing the changes --------------------------------------------------

    def _write_row(self, y: int, cells: dict[int, Cell], out: list[str]) -> None:
        row = self._rows[y]
        width = len(row)
        changed = sorted(x for x, cell in cells.items() if row[x] != cell)
        for x in changed:
            row[x] = cells[x]
        if not changed:
            return
        runs: list[list[int]] = []
        for x in changed:
            if runs and x - runs[-1][1] <= BRIDGE + 1 and UNKNOWN not in row[runs[-1][1] : x]:
                runs[-1][1] = x
            else:
                runs.append([x, x])
        codes: str | None = None
        for start, end in runs:
            while start > 0 and row[start][0] == "":  # the right half of a wide character
                start -= 1
            if end + 1 < width and row[end + 1][0] == "":
                end += 1
            out.append(f"\x1b[{y + 1};{start + 1}H")
            for x in range(start, end + 1):
                text, style = row[x]
                if text == "":
                    continue
                if style != codes:
                    out.append(f"\x1b[0;{style}m" if style else "\x1b[0m")
                    codes = style
                out.append(text)
