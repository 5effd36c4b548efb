"""Events to table rows and back, so a stored event reads exactly as it was emitted."""

from __future__ import annotations

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


def row_event(row: EventRow) -> Event | None:
    """The stored event, or None for a kind this feedwatch does not know (a newer one's)."""
    ts, feed, channel, kind, reason, age, fields = row
    known = _KINDS.get(kind)
    if known is None:
        return None
    extra = _decode(fields) if fields != "{}" else {}
    return Event(ts, feed, known, channel, reason, age, extra)
