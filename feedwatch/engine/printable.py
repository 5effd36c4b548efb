"""Text from outside, made safe to print on one line.

A server chooses its close reasons, error texts and messages, and a log line or a terminal
cell shows them. A newline there forges a log line ("exchange: recovered ..."), an escape
sequence moves the cursor or clears the screen, a bidi override reorders what a person reads.
Every human line (logs, the dashboard, reports, ``check``) passes such text through
``printable``: control characters become visible escapes, the rest is unchanged. JSON output
escapes them by itself.
"""

from __future__ import annotations

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators and bidi
# embeddings, overrides and isolates.
_UNSAFE = [
    *range(0x00, 0x20),
    0x7F,
    *range(0x80, 0xA0),
    0x2028,
    0x2029,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]
_TABLE = {
    code: _NAMED.get(chr(code), f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    for code in _UNSAFE
}


def printable(text: str) -> str:
    """``text`` with every control character written as an escape (``\\n``, ``\\x1b``)."""
    return text.translate(_TABLE)
