"""Plotext charts coloured from the app's theme: the ground every chart here stands on.

textual-plotext's "auto" theme only matches the canvas and tick colours, with
truecolour values (a black block on a 16-colour ANSI theme), and picks data
colours from a fixed palette. These charts take every colour from component
classes styled with theme variables, hand ANSI colours to plotext as ANSI
codes, and leave the canvas unpainted so the widget's own background shows.
"""

from __future__ import annotations

from typing import ClassVar, Generic, Literal, TypeVar

from rich.text import Text
from textual.app import RenderResult
from textual.color import Color
from textual.content import Content
from textual.style import Style
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

PlotextColor = str | int | tuple[int, int, int]
# (component class, text) pairs: what each colour on a chart means.
Legend = tuple[tuple[str, str], ...]
DataT = TypeVar("DataT")


def plotext_color(color: Color, background: Color) -> PlotextColor:
    """Translate a Textual colour so ANSI themes stay ANSI and alpha is blended away."""
    if color.ansi is not None:
        return "default" if color.ansi < 0 else color.ansi
    if color.a < 1 and background.ansi is None:
        color = background + color
    return color.rgb


class ThemedPlot(PlotextPlot, Generic[DataT]):
    """A plotext chart of ``data``, its colours from component classes, its legend in its
    border."""

    AXES: ClassVar[str]  # the component class of the axes, ticks and the empty message
    EMPTY: ClassVar[str]  # what to say when there is nothing to draw

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data: DataT | None = None
        self._legend_key: tuple[Legend, str] | None = None

    def show(self, data: DataT) -> None:
        """Take new data, skipping the (costly) plotext redraw when nothing changed."""
        if data != self.data:
            self.data = data
            self.refresh()

    def show_legend(self, legend: Legend) -> None:
        """Say what the colours mean in the border (so it never hides data), when it changed."""
        if (legend, self.app.theme) != self._legend_key:
            self._legend_key = (legend, self.app.theme)
            self.border_subtitle = Content("  ").join(
                Content.assemble(("━━ ", Style(foreground=self._textual_color(c))), text)
                for c, text in legend
            )

    def color(self, component: str) -> PlotextColor:
        """The plotext colour of one component class, resolved against the current theme."""
        return plotext_color(self._textual_color(component), self.background_colors[1])

    def _textual_color(self, component: str) -> Color:
        return self.get_component_styles(component).color

    def render(self) -> RenderResult:
        data = self.data
        if data is None or self.nothing_to_draw(data):
            style = self.get_component_rich_style(self.AXES)
            return Text(self.EMPTY, justify="center", style=style)
        width, height = self.size
        plt = self.plt
        plt.clear_figure()
        plt.plotsize(width, height)
        plt._set_size(width, height)  # see textual-plotext issue 5: plotsize alone is not enough
        plt.canvas_color("default")
        plt.axes_color("default")
        plt.ticks_color(self.color(self.AXES))
        self.draw(plt, data)
        return Text.from_ansi(plt.build(), no_wrap=True)

    def nothing_to_draw(self, data: DataT) -> bool:
        """Whether there is nothing to draw (the chart says ``EMPTY`` instead)."""
        return False

    def draw(self, plt: Plot, data: DataT) -> None:
        """Plot ``data`` onto a cleared figure, sized and coloured for this widget."""
        raise NotImplementedError


def set_ticks(plt: Plot, axis: Literal["x", "y"], ticks: list[float], labels: list[str]) -> None:
    """Set ticks in the order given, so the chart is the same in every process.

    plotext removes duplicate ticks through a ``set`` of (tick, label) pairs, which orders
    them by string hash (so by PYTHONHASHSEED), and the order decides where crowded labels
    land. Putting the lists back afterwards keeps snapshots stable.
    """
    monitor = plt.monitor  # type: ignore[attr-defined]  # missing from textual-plotext's stubs
    if axis == "x":
        plt.xticks(ticks, labels)
        monitor.xticks[0], monitor.xlabels[0] = list(ticks), list(labels)
    else:
        plt.yticks(ticks, labels)
        monitor.yticks[0], monitor.ylabels[0] = list(ticks), list(labels)
