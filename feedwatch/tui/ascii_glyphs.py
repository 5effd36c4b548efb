"""ASCII stand-ins for every glyph the dashboard draws, for low-bandwidth mode.

Applied where the screen is written (``screen_diff.py``), so state symbols, bars,
sparklines, Textual's own borders and scrollbars, and the detail view's charts all
reach the terminal as ASCII, one character per cell, without each widget knowing.
A mosh or ssh session on a poor link, or a terminal with a narrow font, then shows the
same layout with nothing drawn as a box or a question mark.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Chosen by hand: what the dashboard itself draws (cells.py, the header, the log).
GLYPHS = {
    # States (cells.STATE_SYMBOL): the word beside each symbol says the rest.
    "●": "*", "✖": "X", "◐": "%", "◌": "o", "↻": "~", "‖": "=", "☾": "z", "❄": "#",
    "◔": ">", "⚡": "!",
    # Sparkline levels, lowest to highest.
    "▁": "_", "▂": ".", "▃": "-", "▄": "~", "▅": "=", "▆": "+", "▇": "*", "█": "#",
    # The silence bar: partial eighths, and the unused part.
    "▏": "|", "▎": "|", "▍": "|", "▌": "|", "▋": "|", "▊": "|", "▉": "|",
    "░": ".", "▒": ":", "▓": "#", "▐": "|", "▕": "|", "▔": "-", "▀": "-",
    # Punctuation in text.
    "·": ".", "—": "-", "\u2013": "-", "…": ".", "→": ">", "←": "<", "↑": "^", "↓": "v",
    "\u00d7": "x", "≥": ">", "≤": "<", "✓": "v", "✔": "v", "⚠": "!", "°": "o", "µ": "u",
    "“": '"', "”": '"', "\u2018": "'", "\u2019": "'", "•": "*", "▲": "^", "▼": "v", "▶": ">",
    "◀": "<",
}  # fmt: skip


@lru_cache(maxsize=4096)
def ascii_glyph(char: str, cells: int = 1) -> str:
    """``char`` as ASCII filling the same ``cells`` (1, or 2 for a wide character)."""
    if char.isascii():
        return char
    found = GLYPHS.get(char) or _by_kind(char)
    return (found + " " * cells)[:cells]


def _by_kind(char: str) -> str:
    code = ord(char)
    if 0x2800 <= code <= 0x28FF:  # braille: the detail view's charts
        return " " if code == 0x2800 else "."
    name = unicodedata.name(char, "")
    if 0x2500 <= code <= 0x257F:  # box drawing: borders and rules
        horizontal, vertical = "HORIZONTAL" in name, "VERTICAL" in name
        if horizontal != vertical:
            return "-" if horizontal else "|"
        return "+"
    if 0x2580 <= code <= 0x259F:  # other blocks and quadrants
        return "#"
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    return plain[:1] or "?"
