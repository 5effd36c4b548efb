"""One feed's monitor on a fake clock, fed JSON messages the way the worker feeds them."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from feedwatch.config.model import FeedConfig
from feedwatch.engine.classify import Classifier
from feedwatch.engine.clock import FakeClock
from feedwatch.engine.content import ContentWatch
from feedwatch.engine.events import Event, EventKind
from feedwatch.engine.liveness import FeedMonitor
from feedwatch.engine.snapshot import FeedSnapshot
from feedwatch.engine.verdict import State
from feedwatch.transports.kind import Kind

BASE = FeedConfig(name="btc", url="ws://127.0.0.1:1/", stale_after=30.0)


class Harness:
    def __init__(self, **changes: Any) -> None:
        self.config = replace(BASE, **changes)
        self.clock = FakeClock()
        self.events: list[Event] = []
        self.reconnects: list[str] = []
        self.classifier = Classifier(self.config)
        self.monitor = FeedMonitor(
            self.config, self.clock, self.events.append, self.reconnects.append
        )
        self.monitor.start()
        self.monitor.on_connected(1, "ws://x")

    def send(self, **doc: Any) -> None:
        """One data message through the classifier's single parse, as the worker does it."""
        self.post(json.dumps(doc).encode())

    def post(self, raw: bytes) -> None:
        """One data message as the server sent it (JSON or not)."""
        kind, channel, _ = self.classifier.classify(raw)
        assert kind is Kind.DATA
        self.monitor.on_data(len(raw), channel, raw)
        self.monitor.on_content(self.classifier.last_doc, channel)

    def state(self) -> State:
        return self.monitor.state

    def of(self, kind: EventKind) -> list[Event]:
        return [e for e in self.events if e.kind is kind]

    @property
    def now_ms(self) -> int:
        return round(self.clock.time() * 1000)

    def snapshot(self) -> FeedSnapshot:
        """What the dashboard and /health would read now."""
        clock = self.clock
        return self.monitor.snapshot(
            clock.monotonic(), clock.time(), url="ws://x", paused=False, ping_rtt=None
        )

    @property
    def content(self) -> ContentWatch:
        assert self.monitor.content is not None
        return self.monitor.content
