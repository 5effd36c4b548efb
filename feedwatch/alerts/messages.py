"""The one human line each alert carries, the same in every channel."""

from __future__ import annotations

from feedwatch.config.durations import format_duration

# How a lasting condition reads in "still ..." and "... after".
_LASTING = {"stale": "stale", "storm": "in a reconnect storm", "down": "down", "silence": "silent",
            "lagging": "lagging", "frozen": "frozen"}  # fmt: skip


def human_duration(seconds: float) -> str:
    """Rounded the way people say it: 0.3s, 4.2s, 42s, 1m30s."""
    seconds = max(0.0, seconds)
    return format_duration(round(seconds) if seconds >= 10 else round(seconds, 1))


def where(feed: str, channel: str | None) -> str:
    return feed if channel is None else f"{feed}/{channel}"


def start_message(
    condition: str,
    place: str,
    reason: str | None,
    age: float | None,
    stale_after: float | None,
) -> str:
    """The first alert of a condition."""
    if condition == "stale":
        text = f"{place} is stale"
        if age is not None:
            text += f": no data for {human_duration(age)}"
        if stale_after:
            text += f" (threshold {human_duration(stale_after)})"
        return text
    text = {
        "storm": f"{place}: reconnect storm",
        "down": f"{place} is down: cannot connect",
        "silence": f"{place} has gone silent",
        "lagging": f"{place} is lagging",
        "frozen": f"{place} is frozen",
    }.get(condition, f"{place}: {condition}")
    return text + (f" ({reason})" if reason else "")


def reminder_message(condition: str, place: str, lasted: float) -> str:
    """A reminder while a condition lasts."""
    return f"Reminder: {place} still {_LASTING.get(condition, condition)} after " + (
        human_duration(lasted)
    )


def end_message(condition: str, place: str, lasted: float) -> str:
    """The recovery: which condition ended, and how long it lasted."""
    took = human_duration(lasted)
    return {
        "stale": f"{place} recovered: data flowing again after {took} stale",
        "storm": f"{place}: reconnect storm over after {took}",
        "down": f"{place} is up again after {took} down",
        "silence": f"{place}: silence over after {took}",
        "lagging": f"{place}: lag back under max_lag after {took}",
        "frozen": f"{place}: value moving again after {took} frozen",
    }.get(condition, f"{place}: {condition} over after {took}")
