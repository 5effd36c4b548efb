"""The feed table: one row per feed (and per channel), drawn line by line.

It uses Textual's line API instead of DataTable: each screen line is a cached
Strip keyed by what its cells show, so a refresh redraws only rows whose
content changed and only rows on screen. 200 feeds cost what 20 visible do.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from feedwatch.engine.snapshot import FeedSnapshot
from feedwatch.tui.palette import Palette
from feedwatch.tui.widgets.feed_rows import (
    COLUMNS,
    STATE_ORDER,
    WITHOUT_HISTORY,
    RowSpec,
    Sort,
    cell_key,
    draw_cell,
    feed_of,
    fit_columns,
    row_key,
)

RowKey = tuple[object, ...]


class FeedTable(ScrollView, can_focus=True):
    """Feeds and their channels; a cursor selects the feed the keys act on."""

    DEFAULT_CSS = """
    FeedTable {
        height: 1fr;
        background: $surface;
    }
    """

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="table.up",
                tooltip="Select the previous feed"),
        Binding("down,j", "cursor_down", "Down", show=False, id="table.down",
                tooltip="Select the next feed"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("home", "first", "First", show=False, id="table.first"),
        Binding("end", "last", "Last", show=False, id="table.last"),
    ]  # fmt: skip

    class RowHighlighted(Message):
        """The cursor moved to another row."""

        def __init__(self, key: str | None) -> None:
            super().__init__()
            self.key = key

    class RowSelected(Message):
        """A row was double-clicked."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.palette = Palette.monochrome()
        self._sort_mode = Sort.CONFIG
        self._filter_text = ""
        self.cursor_row = 0
        # Each feed's uptime % over 24 h; None without history (and no column for it).
        self.uptime: dict[str, float | None] | None = None
        self._layout: dict[str, int] = {}
        self._feeds: list[FeedSnapshot] = []
        self._specs: list[RowSpec] = []
        self._keys: list[RowKey] = []  # per row: what its cells depend on
        self._strips: dict[int, tuple[RowKey, Strip]] = {}
        self._header: tuple[object, Strip] | None = None

    # -- what is shown ------------------------------------------------------

    @property
    def sort_mode(self) -> Sort:
        return self._sort_mode

    @sort_mode.setter
    def sort_mode(self, mode: Sort) -> None:
        self._sort_mode = mode
        self.refresh()  # the header's arrow, at once

    @property
    def filter_text(self) -> str:
        return self._filter_text

    @filter_text.setter
    def filter_text(self, text: str) -> None:
        self._filter_text = text
        self.refresh()

    def show(self, feeds: list[FeedSnapshot]) -> None:
        """Take a new sample; only rows whose content changed are redrawn."""
        self._feeds = feeds
        width = self.scrollable_content_region.width or self.size.width
        columns = WITHOUT_HISTORY if self.uptime is None else COLUMNS
        layout = fit_columns(width, self._name_width(feeds), columns)
        if layout != self._layout:
            self._layout = layout
            self._strips.clear()
            self._header = None
            self.refresh()
        selected = self.selected_key
        self._specs = list(self._rows(feeds))
        self.virtual_size = Size(width, len(self._specs) + 1)
        if selected is not None:
            self._keep_selection(selected)
        self.cursor_row = min(self.cursor_row, max(0, len(self._specs) - 1))
        self._refresh_changed_rows()

    def relayout(self) -> None:
        """Redraw everything (after a resize or a theme change)."""
        self._layout = {}
        self._strips.clear()
        self._header = None
        self.show(self._feeds)

    @property
    def row_count(self) -> int:
        return len(self._specs)

    @property
    def row_keys(self) -> list[str]:
        """The feed (or feed/channel) shown in each row, top to bottom."""
        return [spec.key for spec in self._specs]

    @property
    def selected_key(self) -> str | None:
        if 0 <= self.cursor_row < len(self._specs):
            return self._specs[self.cursor_row].key
        return None

    @property
    def selected_feed(self) -> str | None:
        key = self.selected_key
        return None if key is None else feed_of(key)

    def cell_text(self, row: int, column: str) -> str:
        """A cell's text as drawn (for tests and benchmarks that read the screen)."""
        spec = self._specs[row]
        return draw_cell(spec, column, self._layout[column], self.palette).plain

    def drawn_line_text(self, row: int) -> str:
        """The text of a row as last drawn for the screen ('' if not drawn yet)."""
        cached = self._strips.get(row)
        return "" if cached is None else cached[1].text

    def select_row(self, row: int) -> None:
        """Move the cursor, keep it on screen, and say so."""
        if not self._specs:
            return
        row = max(0, min(row, len(self._specs) - 1))
        if row != self.cursor_row:
            old, self.cursor_row = self.cursor_row, row
            self._refresh_row(old)
            self._refresh_row(row)
            self.post_message(self.RowHighlighted(self.selected_key))
        self._scroll_to_cursor()

    # -- keys and mouse -------------------------------------------------------

    def action_cursor_up(self) -> None:
        self.select_row(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.select_row(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.select_row(self.cursor_row - self._visible_rows())

    def action_page_down(self) -> None:
        self.select_row(self.cursor_row + self._visible_rows())

    def action_first(self) -> None:
        self.select_row(0)

    def action_last(self) -> None:
        self.select_row(len(self._specs) - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        row = int(self.scroll_y) + event.y - 1
        if row < len(self._specs):
            self.select_row(row)
            if event.chain >= 2:
                self.post_message(self.RowSelected(self._specs[row].key))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.refresh()

    # -- drawing ------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._header_strip(width)
        row = int(self.scroll_y) + y - 1
        if row >= len(self._specs):
            return Strip.blank(width, self.rich_style)
        key = self._row_key(row)
        cached = self._strips.get(row)
        if cached is not None and cached[0] == key:
            return cached[1]
        strip = self._draw_row(row, width)
        self._strips[row] = (key, strip)
        return strip

    def _row_key(self, row: int) -> RowKey:
        spec = self._specs[row]
        cells = tuple(cell_key(spec, column, width) for column, width in self._layout.items())
        return (cells, row == self.cursor_row, self.has_focus, id(self.palette))

    def _refresh_changed_rows(self) -> None:
        top = int(self.scroll_y)
        for y in range(1, self._visible_rows() + 1):
            row = top + y - 1
            cached = self._strips.get(row)
            if row >= len(self._specs):
                if cached is not None:
                    del self._strips[row]
                    self.refresh_line(y)
                continue
            if cached is None or cached[0] != self._row_key(row):
                self.refresh_line(y)

    def _refresh_row(self, row: int) -> None:
        y = row - int(self.scroll_y) + 1
        if 1 <= y <= self._visible_rows():
            self.refresh_line(y)

    def _line(self, cells: Iterable[tuple[Text, int]], width: int, style: Style) -> Strip:
        text = Text(no_wrap=True, end="")
        for cell, cell_width in cells:
            cell.truncate(cell_width, overflow="ellipsis")
            cell.align(cell.justify or "left", cell_width)  # type: ignore[arg-type]
            text.append(" ")
            text.append_text(cell)
            text.append(" ")
        segments = list(text.render(self.app.console))
        segments = list(Segment.apply_style(segments, self.rich_style, style))
        return Strip(segments).adjust_cell_length(width, self.rich_style)

    def _draw_row(self, row: int, width: int) -> Strip:
        spec = self._specs[row]
        cells = [
            (draw_cell(spec, column, cell_width, self.palette), cell_width)
            for column, cell_width in self._layout.items()
        ]
        return self._line(cells, width, self._cursor_style() if row == self.cursor_row else Style())

    def _header_strip(self, width: int) -> Strip:
        key = (
            tuple(self._layout.items()),
            id(self.palette),
            width,
            self.sort_mode,
            self.filter_text,
        )
        if self._header is not None and self._header[0] == key:
            return self._header[1]
        labels = {c.key: c.label for c in COLUMNS}
        # What shapes the table stays on screen: the sort as an arrow on its column, the
        # filter after the first column's label.
        sorted_by = {Sort.STATE: "state", Sort.AGE: "age"}.get(self.sort_mode)
        if sorted_by is not None:
            labels[sorted_by] += " ▼"
        if self.filter_text:
            labels["name"] += f" /{self.filter_text}"
        cells = [
            (Text(labels[column], style=Style(bold=True)), cell_width)
            for column, cell_width in self._layout.items()
        ]
        strip = self._line(cells, width, self.palette.accent + Style(bold=True))
        self._header = (key, strip)
        return strip

    def _cursor_style(self) -> Style:
        variables = self.app.theme_variables
        from textual.color import Color

        try:
            background = Color.parse(variables.get("block-cursor-background", "blue"))
            foreground = Color.parse(variables.get("block-cursor-foreground", "white"))
        except Exception:
            return Style(reverse=True)
        if not self.has_focus:
            return Style(bgcolor=background.rich_color, dim=True)
        return Style(bgcolor=background.rich_color, color=foreground.rich_color, bold=True)

    # -- rows ---------------------------------------------------------------

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top = int(self.scroll_y)
        visible = self._visible_rows()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def _keep_selection(self, key: str) -> None:
        keys = self.row_keys
        target = key if key in keys else feed_of(key)
        if target in keys:
            self.cursor_row = keys.index(target)

    @staticmethod
    def _name_width(feeds: list[FeedSnapshot]) -> int:
        longest = max((len(f.name) for f in feeds), default=8)
        longest_channel = max((len(c.key) + 4 for f in feeds for c in f.channels), default=0)
        return min(28, max(8, longest, longest_channel))

    def _visible(self, feeds: list[FeedSnapshot]) -> list[FeedSnapshot]:
        needle = self.filter_text.lower()
        shown = [f for f in feeds if needle in f.name.lower()] if needle else list(feeds)
        if self.sort_mode is Sort.STATE:
            shown.sort(key=lambda f: STATE_ORDER[f.state])
        elif self.sort_mode is Sort.AGE:
            shown.sort(key=lambda f: -(f.signal_age if not f.paused else -1.0))
        return shown

    def _rows(self, feeds: list[FeedSnapshot]) -> Iterable[RowSpec]:
        uptime = self.uptime or {}
        for feed in self._visible(feeds):
            yield RowSpec(feed.name, feed, uptime=uptime.get(feed.name))
            for channel in feed.channels:
                yield RowSpec(row_key(feed.name, channel.key), feed, channel)

    def on_focus(self) -> None:
        self._refresh_row(self.cursor_row)

    def on_blur(self) -> None:
        self._refresh_row(self.cursor_row)
