"""The terminal shows the same screen whether Textual's whole update or only the changed
cells (screen_diff) were written: both byte streams replayed into a VT emulator (pyte)."""

from __future__ import annotations

import pyte
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import LayoutUpdate
from textual.geometry import Region
from textual.strip import Strip

from feedwatch.tui.screen_diff import ScreenDiff

WIDTH, HEIGHT = 30, 3


def frame(lines: list[list[tuple[str, str]]]) -> LayoutUpdate:
    strips = [
        [Strip([Segment(text, Style.parse(style)) for text, style in line])] for line in lines
    ]
    return LayoutUpdate(strips, Region(0, 0, WIDTH, len(lines)))  # type: ignore[arg-type]


def replay(chunks: list[str]) -> list[tuple[str, ...]]:
    screen = pyte.Screen(WIDTH, HEIGHT)
    stream = pyte.Stream(screen)
    for chunk in chunks:
        stream.feed(chunk)
    return [
        tuple(f"{screen.buffer[y][x].data}|{screen.buffer[y][x].fg}|{screen.buffer[y][x].bold}"
              for x in range(WIDTH))
        for y in range(HEIGHT)
    ]  # fmt: skip


FRAMES = [
    [[(" feedwatch ", "bold blue"), ("● 7 live", "green"), ("  11:24:52", "white")],
     [(" ticker ", "white"), ("0.1s", "green"), (" ▏░░░", "green")]],
    [[(" feedwatch ", "bold blue"), ("● 7 live", "green"), ("  11:24:53", "white")],
     [(" ticker ", "white"), ("0.2s", "yellow"), (" ▎░░░", "green")]],
    [[(" feedwatch ", "bold blue"), ("⚡ 1 storm", "red"), ("  11:24:54", "white")],
     [(" ticker ", "white"), ("12s ", "red"), (" ████", "red")]],
]  # fmt: skip


def test_changed_cells_alone_leave_the_same_screen_as_full_repaints() -> None:
    console = Console(width=WIDTH, height=HEIGHT, color_system="truecolor")
    diff = ScreenDiff()
    full, changes = [], []
    for lines in FRAMES:
        update = frame(lines)
        full.append(update.render_segments(console))
        changes.append(diff.diff(update, console, (WIDTH, HEIGHT)))
        assert replay(changes) == replay(full)
    # The clock's last digit and the age changed: far fewer bytes than the whole lines.
    assert len(changes[1]) < len(full[1]) / 2


def test_an_unchanged_frame_writes_nothing_and_a_reset_repaints_all() -> None:
    console = Console(width=WIDTH, height=HEIGHT, color_system="truecolor")
    diff = ScreenDiff()
    update = frame(FRAMES[0])
    first = diff.diff(update, console, (WIDTH, HEIGHT))
    assert "feedwatch" in first
    assert diff.diff(frame(FRAMES[0]), console, (WIDTH, HEIGHT)) == ""
    diff.reset()
    assert replay([diff.diff(update, console, (WIDTH, HEIGHT))]) == replay([first])


def drawn(chunks: list[str]) -> list[str]:
    """The characters on screen, line by line."""
    return ["".join(cell.rsplit("|", 2)[0] for cell in row) for row in replay(chunks)]


def test_low_bandwidth_sends_only_ascii_in_the_same_cells() -> None:
    console = Console(width=WIDTH, height=HEIGHT, color_system="truecolor")
    diff = ScreenDiff(ascii_only=True)
    chunks = [diff.diff(frame(lines), console, (WIDTH, HEIGHT)) for lines in FRAMES]
    assert all(chunk.isascii() for chunk in chunks)
    text = drawn(chunks)
    # The storm glyph is two cells wide: its stand-in fills both, so the clock stays put.
    assert text[0] == " feedwatch !  1 storm  11:24:54"[:WIDTH]
    assert text[1].startswith(" ticker 12s  ####")
    first = drawn(chunks[:1])
    assert first[0].startswith(" feedwatch * 7 live")
    assert first[1].startswith(" ticker 0.1s |...")
