"""Message classification: ignored, reply, heartbeat, invalid, or data.

Cheap checks run first (substring on the raw bytes); the text is decoded only
for a regex, and JSON is parsed only when a rule needs it, and then only once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

from feedwatch.config.model import FeedConfig, MatcherSpec
from feedwatch.transports.kind import Kind

_DATA: tuple[Kind, None, None] = (Kind.DATA, None, None)
_HEARTBEAT: tuple[Kind, None, None] = (Kind.HEARTBEAT, None, None)
_IGNORED: tuple[Kind, None, None] = (Kind.IGNORED, None, None)
_PLANNED: tuple[Kind, None, None] = (Kind.PLANNED_CLOSE, None, None)

# msgspec parses JSON about five times faster than the json module, and the parse
# is the one expensive step a channel_key or json rule adds per message.
_decode_json = msgspec.json.Decoder().decode

MISSING: Any = object()
_UNPARSED: Any = object()


def json_path(doc: Any, path: tuple[str, ...]) -> Any:
    """Follow a dotted path through dicts and lists; MISSING when it leads nowhere."""
    node = doc
    for part in path:
        if isinstance(node, dict):
            node = node.get(part, MISSING)
            if node is MISSING:
                return MISSING
        elif isinstance(node, list):
            try:
                node = node[int(part)]
            except (ValueError, IndexError):
                return MISSING
        else:
            return MISSING
    return node


def split_path(path: str) -> tuple[str, ...]:
    return tuple(p for p in path.split(".") if p)


class _Parsed:
    """The message's text and JSON, each computed at most once."""

    __slots__ = ("doc", "error", "raw", "text")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.text: str | None = None
        self.doc: Any = _UNPARSED
        self.error: str | None = None

    def get_text(self) -> str:
        if self.text is None:
            self.text = self.raw.decode("utf-8", errors="replace")
        return self.text

    def get_doc(self) -> Any:
        if self.doc is _UNPARSED:
            try:
                self.doc = _decode_json(self.raw)
            except RecursionError:
                self.doc, self.error = MISSING, "JSON nested too deeply"
            except msgspec.DecodeError as exc:
                self.doc, self.error = MISSING, f"invalid JSON: {exc}"
            except UnicodeDecodeError as exc:  # msgspec checks UTF-8 inside strings
                self.doc, self.error = MISSING, f"invalid UTF-8 in JSON: {exc.reason}"
        return self.doc


class Matcher:
    """A compiled ``MatcherSpec``."""

    __slots__ = ("_contains", "_json", "_regex", "has_regex", "needs_json")

    def __init__(self, spec: MatcherSpec) -> None:
        self._contains = tuple(s.encode() for s in spec.contains)
        self._regex = tuple(re.compile(r) for r in spec.regex)
        self._json = tuple((split_path(k), v) for k, v in spec.json)
        self.needs_json = bool(self._json)
        self.has_regex = bool(self._regex)

    @property
    def needles(self) -> tuple[bytes, ...]:
        return self._contains

    def matches(self, msg: _Parsed) -> bool:
        raw = msg.raw
        for needle in self._contains:
            if needle in raw:
                return True
        if self._regex:
            text = msg.get_text()
            for rx in self._regex:
                if rx.search(text):
                    return True
        if self._json:
            doc = msg.get_doc()
            if doc is MISSING:
                return False
            for path, expected in self._json:
                value = json_path(doc, path)
                if (
                    value is MISSING
                    or value != expected
                    or isinstance(value, bool) != isinstance(expected, bool)
                ):
                    return False
            return True
        return False


class Classifier:
    """Decides what one message is, and which channel a data message belongs to."""

    def __init__(self, feed: FeedConfig) -> None:
        self.last_error = ""
        # The parsed JSON of the latest data message, kept only for content signals.
        self.last_doc: Any = MISSING
        self.keep_doc = bool(feed.event_time or feed.sequence or feed.value)
        self.ignore = Matcher(feed.ignore) if feed.ignore else None
        self.heartbeat = Matcher(feed.heartbeat) if feed.heartbeat else None
        self.planned = Matcher(feed.planned_close) if feed.planned_close else None
        self.replies = tuple((Matcher(r.match), r.send) for r in feed.replies)
        self.channel_path = split_path(feed.channel_key) if feed.channel_key else None
        # Rules that need JSON make a non-JSON frame invalid; content signals alone do not.
        self.json_rules = (
            self.channel_path is not None
            or any(m.needs_json for m in (self.ignore, self.heartbeat, self.planned) if m)
            or any(m.needs_json for m, _ in self.replies)
        )
        self.needs_json = self.json_rules or self.keep_doc
        self._ignore_needles = self.ignore.needles if self.ignore else ()
        self._heartbeat_needles = self.heartbeat.needles if self.heartbeat else ()
        self._planned_needles = self.planned.needles if self.planned else ()
        if self._fast_path():
            self.classify = self._fast_classifier()  # type: ignore[method-assign, assignment]

    def _fast_path(self) -> bool:
        """True when every rule is a substring test: no decode, no parse, no allocation."""
        matchers = [m for m in (self.ignore, self.heartbeat, self.planned) if m]
        return not self.replies and not self.needs_json and not any(m.has_regex for m in matchers)

    def _fast_classifier(self) -> Callable[[bytes], tuple[Kind, str | None, str | None]]:
        """A classify specialised for substring-only rules: the common case, and the hot one."""
        ignore, heartbeat = self._ignore_needles, self._heartbeat_needles
        planned = self._planned_needles
        if not ignore and not heartbeat and not planned:
            return lambda raw: _DATA
        if not ignore and not planned and len(heartbeat) == 1:
            (needle,) = heartbeat
            return lambda raw: _HEARTBEAT if needle in raw else _DATA

        def classify(raw: bytes) -> tuple[Kind, str | None, str | None]:
            for needle in ignore:
                if needle in raw:
                    return _IGNORED
            for needle in planned:
                if needle in raw:
                    return _PLANNED
            for needle in heartbeat:
                if needle in raw:
                    return _HEARTBEAT
            return _DATA

        return classify

    def classify(self, raw: bytes) -> tuple[Kind, str | None, str | None]:
        """Returns (kind, channel, reply-to-send); the detail is in ``last_error``."""
        msg = _Parsed(raw)
        if self.ignore is not None and self.ignore.matches(msg):
            return Kind.IGNORED, None, None
        if self.planned is not None and self.planned.matches(msg):
            return Kind.PLANNED_CLOSE, None, None
        for matcher, send in self.replies:
            if matcher.matches(msg):
                return Kind.REPLY, None, send
        if self.heartbeat is not None and self.heartbeat.matches(msg):
            return Kind.HEARTBEAT, None, None
        if not self.needs_json:
            return Kind.DATA, None, None
        doc = msg.get_doc()
        if self.keep_doc:
            self.last_doc = doc
        if doc is MISSING:
            if not self.json_rules:
                return _DATA
            self.last_error = msg.error or "invalid JSON"
            return Kind.INVALID, None, None
        if self.channel_path is None:
            return Kind.DATA, None, None
        value = json_path(doc, self.channel_path)
        if value is MISSING or isinstance(value, (dict, list)) or value is None:
            return Kind.DATA, None, None
        return Kind.DATA, str(value), None
