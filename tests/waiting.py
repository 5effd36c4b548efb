"""Waiting for something to become true: the one helper every test polls with.

``wait_until`` is for tests on an event loop, ``wait_until_blocking`` for the few that
drive a subprocess or a terminal from plain code. Both fail with an ``AssertionError``
that says what was awaited (the ``message``, or else the source of the ``check`` lambda),
for how long, and what the check last returned when that says more than False.
"""

from __future__ import annotations

import asyncio
import inspect
import linecache
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

Message = str | Callable[[], str] | None


async def wait_until(
    check: Callable[[], T | Awaitable[T]],
    timeout: float = 5.0,
    interval: float = 0.01,
    message: Message = None,
) -> T:
    """The first truthy result of ``check`` (a function or a coroutine function), polled."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        value: T = await result if inspect.isawaitable(result) else result  # type: ignore[assignment]
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(_failure(check, timeout, message, value))
        await asyncio.sleep(interval)


def wait_until_blocking(
    check: Callable[[], T],
    timeout: float = 5.0,
    interval: float = 0.1,
    message: Message = None,
) -> T:
    """As ``wait_until``, for code with no event loop: it sleeps the thread between checks."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(_failure(check, timeout, message, value))
        time.sleep(interval)


def _failure(check: Callable[[], object], timeout: float, message: Message, last: object) -> str:
    what = message() if callable(message) else message or _source_of(check)
    text = f"waited {timeout:g}s for {what}"
    if last is not None and not isinstance(last, bool):
        text += f"\nthe check last returned {last!r}"
    return text


def _source_of(check: Callable[[], object]) -> str:
    """The text of a lambda's body as written in the test, else the function's name."""
    code = getattr(check, "__code__", None)
    name = getattr(check, "__name__", repr(check))
    if code is None or name != "<lambda>":
        return name
    spans = [
        (line, col, end_line, end_col)
        for line, end_line, col, end_col in code.co_positions()
        if None not in (line, end_line, col, end_col) and (line, col) != (end_line, end_col)
    ]
    if not spans:
        return name
    first, col = min((s[0], s[1]) for s in spans)
    last, end_col = max((s[2], s[3]) for s in spans)
    # Columns count UTF-8 bytes, so cut the lines as bytes.
    lines = [linecache.getline(code.co_filename, n).encode() for n in range(first, last + 1)]
    if not all(lines):
        return name
    lines[-1] = lines[-1][:end_col]
    lines[0] = lines[0][col:]
    return " ".join(b" ".join(lines).decode(errors="replace").split())
