"""Recorded exchange sessions, played back at their recorded timing to a real client.

A recording is a JSON-lines file under tests/recordings/ (written by make.py there). Lines:

- ``{"start": "connect"}`` or ``{"start": "subscribe"}``: where the clock of timed lines starts,
  at the connection or at the client's first text (the default: most feeds send nothing
  until asked).
- ``{"greet": TEXT, "t": S}``: sent S seconds after the connection opens, asked or not.
- ``{"on": PART, "reply": [LINE, ...], "keepalive": BOOL}``: each client text containing PART
  is answered by the LINEs (timed lines, below), each ``t`` seconds after the request
  arrived: acks, a snapshot after a pause. ``keepalive`` marks a ping's answer (counted in
  app_pings, not subscribes). The first such line that matches answers.
- ``{"t": S, "text": TEXT, "kind": KIND, "data": true}``: played S seconds after the start;
  ``data`` says whether the exchange means it as data (the rig counts it in data_sent), and
  ``age`` (seconds) makes its own time that much older than the sending time.

TEXTs may hold ``$MS`` (wall milliseconds), ``$S`` (seconds with microseconds) and ``$ISO``
(RFC 3339), filled in when sent so event-time lag stays real, and ``$ID``, the request's id
(``id``, ``reqid`` or ``req_id``) in replies. Once the last line has played the session
stays open and keeps answering, as a quiet exchange does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from feedwatch.demo.session import Behaviour, Listener, Session
from tests.rigs.exchanges.stamps import iso

RECORDINGS = Path(__file__).resolve().parent.parent / "recordings"


@dataclass(frozen=True)
class Line:
    """One message a recording sends at a time after its start."""

    t: float
    text: str
    kind: str
    data: bool
    age: float = 0.0


@dataclass(frozen=True)
class Answer:
    """What the recorded server sent back to a client text containing ``part``."""

    part: str
    reply: tuple[Line, ...]
    keepalive: bool = False


def _line(row: dict[str, Any]) -> Line:
    return Line(
        float(row.get("t", 0.0)),
        row["text"],
        row.get("kind", "reply"),
        bool(row.get("data", False)),
        float(row.get("age", 0.0)),
    )


@dataclass(frozen=True)
class Recording:
    """A recorded session: greetings, answers to requests, and timed lines."""

    name: str
    start: str = "subscribe"
    greetings: tuple[tuple[float, str], ...] = ()
    answers: tuple[Answer, ...] = ()
    lines: tuple[Line, ...] = field(default=())

    @classmethod
    def load(cls, name: str) -> Recording:
        """The recording tests/recordings/NAME.jsonl."""
        start = "subscribe"
        greetings: list[tuple[float, str]] = []
        answers: list[Answer] = []
        lines: list[Line] = []
        path = RECORDINGS / f"{name}.jsonl"
        for number, raw in enumerate(path.read_text().splitlines(), 1):
            if not raw.strip():
                continue
            row: dict[str, Any] = json.loads(raw)
            if "start" in row:
                start = row["start"]
            elif "greet" in row:
                greetings.append((float(row.get("t", 0.0)), row["greet"]))
            elif "on" in row:
                reply = tuple(_line(item) for item in row["reply"])
                answers.append(Answer(row["on"], reply, bool(row.get("keepalive", False))))
            elif "text" in row:
                lines.append(_line(row))
            else:
                raise ValueError(f"{path}:{number}: not a recording line: {raw}")
        lines.sort(key=lambda line: line.t)
        return cls(name, start, tuple(greetings), tuple(answers), tuple(lines))

    @property
    def data_kinds(self) -> tuple[str, ...]:
        """The kinds of data message recorded (trade, snapshot, book...), in first-seen order."""
        replies = [line for answer in self.answers for line in answer.reply]
        return tuple(dict.fromkeys(line.kind for line in (*replies, *self.lines) if line.data))

    def only(self, kinds: Iterable[str]) -> Recording:
        """The same session with data of other kinds cut out (heartbeats and the rest kept)."""
        keep = set(kinds)

        def kept(lines: Iterable[Line]) -> tuple[Line, ...]:
            return tuple(line for line in lines if not line.data or line.kind in keep)

        answers = tuple(replace(a, reply=kept(a.reply)) for a in self.answers)
        return Recording(self.name, self.start, self.greetings, answers, kept(self.lines))


def fill(text: str, wall: float, request: Any = None) -> str:
    """The text as sent at ``wall`` (unix seconds), answering ``request``."""
    if "$ID" in text:
        ident = None
        if isinstance(request, dict):
            ident = next((request[k] for k in ("id", "reqid", "req_id") if k in request), None)
        text = text.replace("$ID", json.dumps(ident))
    if "$" not in text:
        return text
    ms = int(wall * 1000)
    return text.replace("$MS", str(ms)).replace("$S", f"{wall:.6f}").replace("$ISO", iso(ms))


class Replay(Behaviour):
    """Plays one recording per connection, answering requests as the recorded server did."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording

    def start(self, session: Session) -> Listener:
        recording = self.recording
        started = asyncio.Event()

        async def send_later(line: Line, request: Any = None) -> None:
            await asyncio.sleep(line.t)
            wall = session.wall_ms() / 1000 - line.age
            await session.send(fill(line.text, wall, request), data=line.data)

        async def play() -> None:
            await started.wait()
            base = session.loop.time()
            for line in recording.lines:
                delay = base + line.t - session.loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                wall = session.wall_ms() / 1000 - line.age
                await session.send(fill(line.text, wall), data=line.data)

        async def listen(text: str) -> None:
            started.set()
            answer = next((a for a in recording.answers if a.part in text), None)
            if answer is None:
                session.stats.subscribes.append(text)
                return
            if answer.keepalive:
                session.stats.app_pings += 1
            else:
                session.stats.subscribes.append(text)
            try:
                request = json.loads(text)
            except ValueError:
                request = None
            for line in answer.reply:
                session.spawn(send_later(line, request))

        for delay, text in recording.greetings:
            session.spawn(send_later(Line(delay, text, "greeting", False)))
        if recording.start == "connect":
            started.set()
        session.spawn(play())
        return listen
