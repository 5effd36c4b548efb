"""Events to table rows and back, so a stored event reads exactly as it was emitted."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import msgspec

from feedwatch.engine.events import Event, EventKind

EVENT_COLUMNS = "ts, feed, channel, kind, reason, age, fields"
EventRow = tuple[float, str, str | None, str, str | None, float | None, str]

_encode = msgspec.json.Encoder(enc_hook=str).encode
_decode = msgspec.json.Decoder(dict[str, Any]).decode
_KINDS = {str(kind): kind for kind in EventKind}


def event_row(event: Event) -> EventRow:
    fields = _encode(event.fields).decode() if event.fields else "{}"
    return (
        event.ts,
        event.feed,
        event.channel,
        str(event.kind),
        event.reason,
        event.age_seconds,
        fields,
    )


def repaired(event: Event) -> Event:
    """The event with text that cannot be stored as UTF-8 (lone surrogates, from undecodable
    bytes) escaped, and fields that are not JSON as their text: what SQLite would refuse."""
    fields = _json_safe(event.fields)
    assert isinstance(fields, dict)
    return replace(
        event,
        feed=_utf8(event.feed),
        channel=None if event.channel is None else _utf8(event.channel),
        reason=None if event.reason is None else _utf8(event.reason),
        fields=fields,
    )


def _utf8(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _json_safe(value: Any) -> Any:
    if isinstance(value, str):
        return _utf8(value)
    if isinstance(value, dict):
        return {_utf8(str(k)): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return _utf8(str(value))


def row_event(row: EventRow) -> Event | None:
    """The stored event, or None for a kind this feedwatch does not know (a newer one's)."""
    ts, feed, channel, kind, reason, age, fields = row
    known = _KINDS.get(kind)
    if known is None:
        return None
    extra = _decode(fields) if fields != "{}" else {}
    return Event(ts, feed, known, channel, reason, age, extra)
