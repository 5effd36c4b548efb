"""Sequence gaps: whether a feed's update ids skipped, per channel when it has channels.

A feed numbers its messages in one of three ways (``sequence`` in the config):

- a number that grows by one per message (``sequence = "u"``);
- a range of update ids per message, the next starting right after this one ends
  (``{ first = "data.U", last = "data.u" }``, Binance spot depth);
- a link to the previous message's id (``{ prev = "data.pu", id = "data.u" }``, Binance
  futures depth, OKX books).

A plain number is a range of one id, so two checks cover the three forms. Each channel of a
feed with a ``channel_key`` keeps its own expectation (a combined stream numbers each symbol
apart), for at most ``max_channels`` channels; a new connection forgets them all. The hot
path is a path lookup, a dict lookup and a comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from feedwatch.config.model import FeedConfig, SequenceLink, SequenceRange
from feedwatch.engine.classify import MISSING, json_path, split_path
from feedwatch.engine.conditions import RaiseEvent
from feedwatch.engine.events import EventKind


def as_id(value: Any) -> int | None:
    """A sequence number or update id as an int; None when the field holds something else."""
    if isinstance(value, bool) or value is MISSING:
        return None
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return value if isinstance(value, int) else None


class SequenceCheck:
    """Counts gaps, lost ids and replays in one feed's sequence, channel by channel."""

    def __init__(
        self,
        config: FeedConfig,
        emit: RaiseEvent,
        request_reconnect: Callable[[str], object],
    ) -> None:
        spec = config.sequence
        assert spec is not None
        self.linked = isinstance(spec, SequenceLink)
        if isinstance(spec, SequenceLink):
            paths = (spec.prev, spec.id)
        elif isinstance(spec, SequenceRange):
            paths = (spec.first, spec.last)
        else:
            paths = (spec, spec)
        self.paths = tuple(dict.fromkeys(paths))  # as written, for messages about them
        self._first = split_path(paths[0])
        self._last = split_path(paths[1])
        self._emit = emit
        self._request_reconnect = request_reconnect
        self.reconnect_on_gap = config.on_gap == "reconnect"
        self.per_channel = config.channel_key is not None
        self.max_channels = config.max_channels
        # Per channel (None: the whole feed): the next id expected, or with links the last id.
        self.expected: dict[str | None, int] = {}
        self.untracked = 0  # messages of channels past max_channels, not checked
        self.gaps = 0
        self.missed_total = 0
        self.out_of_order = 0

    def connected(self) -> None:
        """A new connection: every channel's first id is a fresh start, not a gap."""
        self.expected.clear()

    def observe(self, doc: Any, channel: str | None) -> bool:
        """Check one message; False when it carries no usable id (the path reads nothing)."""
        first = as_id(json_path(doc, self._first))
        if first is None:
            return False
        last = first if self._last == self._first else as_id(json_path(doc, self._last))
        if last is None:
            return False
        key = channel if self.per_channel else None
        expected = self.expected.get(key)
        if expected is None:
            if key not in self.expected and len(self.expected) >= self.max_channels:
                self.untracked += 1
                return True
            self.expected[key] = last if self.linked else last + 1
        elif self.linked:
            self._link(key, first, last, expected)
        else:
            self._range(key, first, last, expected)
        return True

    def _range(self, key: str | None, first: int, last: int, expected: int) -> None:
        if first == expected:
            self.expected[key] = last + 1
            return
        if first < expected:
            if last < expected:
                self.out_of_order += 1  # a duplicate or a replay: nothing was lost
            else:
                self.expected[key] = last + 1  # overlaps what was seen: nothing was lost
            return
        self.expected[key] = last + 1
        missed = first - expected
        noun = "message" if self._first == self._last else "update id"
        self._gap(key, f"lost {missed} {noun}{'s' if missed != 1 else ''}", missed, expected, first)

    def _link(self, key: str | None, prev: int, ident: int, seen: int) -> None:
        if prev == seen:  # prev == id (OKX: nothing changed) is no gap either
            self.expected[key] = ident
            return
        if ident <= seen:
            self.out_of_order += 1  # at or before what was seen: a replay
            return
        self.expected[key] = ident
        if prev < seen:
            self.out_of_order += 1  # links back past what was seen: nothing known lost
            return
        missed = prev - seen
        reason = (
            f"prev {prev} does not follow {seen} ({missed} id{'s' if missed != 1 else ''} skipped)"
        )
        self._gap(key, reason, missed, seen, prev)

    def _gap(self, key: str | None, reason: str, missed: int, expected: int, got: int) -> None:
        self.gaps += 1
        self.missed_total += missed
        self._emit(
            EventKind.GAP, channel=key, reason=reason, missed=missed, expected=expected, got=got
        )
        if self.reconnect_on_gap:
            where = f" on {key}" if key is not None else ""
            self._request_reconnect(f"sequence gap{where}: lost {missed}")
