"""`feedwatch check`: one look at each feed, reported the way Nagios plugins report.

A front end on the runtime, like the dashboard and headless mode: it runs the engine itself
(no history, alerts or server) over the selected feeds, so a connection is read exactly as
a worker reads it (the same classification, the transport's own refinements such as SSE
comments and a polled data age, the same verdict), for each feed's window: the
``stale_after`` in force (its schedule's, when a window holds), or ``--timeout`` when that
is shorter; a feed with expected ``channels`` waits up to its ``channel_stale_after`` for
each of them. A feed in a quiet window is not checked.

- OK (exit 0): every feed delivered data within the first half of its window (or is quiet).
- WARNING (1): every feed delivered data, but at least one only in the second half of its
  window; or a feed is partial (a channel silent) where ``channel_health = "warn"``.
- CRITICAL (2): a feed delivered no data in its window: it could not connect (HTTP status,
  refused, DNS, TLS, timeout), the server closed, or only heartbeats came; or it is partial.
- UNKNOWN (3): the check itself could not run (bad config, unknown --feed, bad arguments).

A push feed has no connection to probe: its check-ins arrive at the feedwatch that serves
``[server] listen``. The check asks that feedwatch (``GET /health/<feed>``, with the
server's token) and reports its verdict: OK when live with its last check-in in the first
half of ``stale_after``, WARNING in the second half (or partial with channel_health =
"warn"), CRITICAL when it is anything else or no feedwatch answers there.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import aiohttp

from feedwatch.config.durations import format_duration, parse_duration
from feedwatch.config.loader import ConfigError, load_config
from feedwatch.config.model import Config, FeedConfig, ServerConfig
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import EventKind
from feedwatch.engine.printable import printable
from feedwatch.engine.snapshot import FeedSnapshot
from feedwatch.engine.verdict import State, is_warning
from feedwatch.runtime import Parts, Runtime

# How often the check reads the engine's verdicts while it waits.
POLL = 0.01
# What a check runs: the engine and nothing that records, alerts or listens.
ENGINE_ONLY = Parts(history=False, alerts=False, server=False)

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATUS_NAMES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")


@dataclass(frozen=True)
class ServedVerdict:
    """A push feed's verdict from the feedwatch that receives its check-ins."""

    where: str  # "http://127.0.0.1:9321"
    state: str | None = None  # None: no answer
    healthy: bool = False
    age: float | None = None  # seconds since the last check-in
    stale_after: float | None = None
    failure: str | None = None

    @property
    def status(self) -> int:
        if self.state is None:
            return CRITICAL
        if self.state == "quiet":
            return OK
        if self.state == "partial" and self.healthy:
            return WARNING  # channel_health = "warn"
        if self.state != "live" or not self.healthy:
            return CRITICAL
        late = self.age is not None and self.stale_after and self.age > self.stale_after / 2
        return WARNING if late else OK

    def describe(self) -> str:
        if self.state is None:
            return f"no feedwatch serving its check-ins answers at {self.where}: {self.failure}"
        age = "no check-in yet" if self.age is None else f"last check-in {self.age:.3f}s ago"
        allowed = "" if self.stale_after is None else f" of {format_duration(self.stale_after)}"
        return f"{self.state} at {self.where} (push feed): {age}{allowed}"


@dataclass
class ProbeResult:
    """What one feed did in its window."""

    feed: str
    window: float
    first_data: float | None = None  # seconds from the first connect attempt
    failure: str | None = None  # why there is no data, when something said why
    connected: bool = False
    others: dict[str, int] = field(default_factory=dict)  # non-data messages by kind
    quiet: str | None = None  # the quiet schedule window in force: not probed
    silent_channels: tuple[str, ...] = ()  # expected channels with no data: partial
    channel_health: str = "page"
    # A push feed, as the feedwatch serving its check-ins sees it.
    served: ServedVerdict | None = None

    @property
    def partial(self) -> bool:
        return self.first_data is not None and bool(self.silent_channels)

    @property
    def status(self) -> int:
        if self.served is not None:
            return self.served.status
        if self.quiet is not None:
            return OK
        if self.first_data is None:
            return CRITICAL
        if self.partial:
            return WARNING if is_warning(State.PARTIAL, self.channel_health) else CRITICAL
        return WARNING if self.first_data > self.window / 2 else OK

    def describe(self) -> str:
        """The reason or the timing, as the per-feed line shows it."""
        if self.served is not None:
            return self.served.describe()
        if self.quiet is not None:
            return f"quiet now ({self.quiet}): not checked"
        if self.partial:
            silent = ", ".join(self.silent_channels)
            return (
                f"partial: no data on channel {silent} within "
                f"{format_duration(self.window)} (first data after {self.first_data:.3f}s)"
            )
        if self.first_data is not None:
            text = f"first data after {self.first_data:.3f}s"
            if self.status == WARNING:
                text += f", over half of its {format_duration(self.window)} window"
            return text
        if self.failure is not None:
            return self.failure
        window = format_duration(self.window)
        if not self.connected:
            return f"no connection within {window}"
        seen = ", ".join(_count(n, *_KIND_WORDS[kind]) for kind, n in self.others.items() if n)
        return f"no data within {window} (connected; {seen or 'nothing received'})"


_KIND_WORDS = {
    "heartbeats": ("heartbeat", "heartbeats"),
    "ignored": ("ignored message", "ignored messages"),
    "replies": ("heartbeat request", "heartbeat requests"),
    "invalid": ("invalid frame", "invalid frames"),
}


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


class _Look:
    """One feed's check, decided from the engine's snapshots as they come."""

    def __init__(self, feed: FeedConfig, timeout: float) -> None:
        self.feed = feed
        self.timeout = timeout
        self.result: ProbeResult | None = None
        self.first_data: float | None = None

    def window(self, snap: FeedSnapshot) -> float:
        """The stale_after in force (a schedule's, a learned one), capped by --timeout; a feed
        with expected channels gives each its own threshold, when that is longer."""
        window = min(snap.stale_after, self.timeout)
        if self.feed.channels:
            window = max(window, min(self.feed.effective_channel_stale_after, self.timeout))
        return window

    def decide(self, engine: Engine, elapsed: float) -> ProbeResult | None:
        """The result once it is known, else None (look again later)."""
        snap = engine.feed_snapshot(self.feed.name)
        window = self.window(snap)
        if snap.quiet:
            return ProbeResult(self.feed.name, 0.0, quiet=snap.window or "quiet hours")
        if self.first_data is None and snap.data_messages:
            self.first_data = elapsed
        silent = tuple(
            ch.key for ch in snap.channels if ch.key in self.feed.channels and not ch.messages
        ) + tuple(key for key in self.feed.channels if key not in {c.key for c in snap.channels})
        if snap.state is State.PARTIAL:  # the engine's own verdict, within the window
            silent = tuple(ch.key for ch in snap.channels if ch.state is State.STALE) or silent
        failed = snap.state is State.BACKOFF and self.first_data is None  # one look: no retry
        done = self.first_data is not None and not silent
        if not (done or failed or elapsed >= window or snap.state is State.PARTIAL):
            return None
        result = ProbeResult(
            self.feed.name,
            window,
            first_data=self.first_data,
            connected=snap.connected or snap.close_code is not None or _was_connected(engine, snap),
            others=_others(snap),
            silent_channels=silent if self.first_data is not None else (),
            channel_health=self.feed.channel_health,
        )
        if self.first_data is None and not snap.stale:  # stale: "no data within", as it is
            result.failure = _failure(engine, self.feed.name)
        return result


def _others(snap: FeedSnapshot) -> dict[str, int]:
    """What came instead of data, by kind, in the order the report names them."""
    return {
        "heartbeats": snap.heartbeats,
        "ignored": snap.ignored,
        "replies": snap.replies,
        "invalid": snap.invalid,
    }


def _was_connected(engine: Engine, snap: FeedSnapshot) -> bool:
    events = engine.feed_detail(snap.name).events
    return any(e.kind is EventKind.CONNECTED for e in events)


def _failure(engine: Engine, name: str) -> str | None:
    """Why a feed gave no data, in the words its worker used (already redacted)."""
    for event in reversed(engine.feed_detail(name).events):
        if event.kind is EventKind.ERROR and event.fields.get("kind") != "bad_frame":
            return event.reason
        if event.kind is EventKind.DISCONNECTED:
            return event.reason
    return None


def _server_base(server: ServerConfig) -> str:
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(server.host, server.host)
    return f"http://{f'[{host}]' if ':' in host else host}:{server.port}"


async def ask_server(
    feeds: Sequence[FeedConfig], server: ServerConfig, timeout: float
) -> list[ProbeResult]:
    """Each push feed's verdict, from the feedwatch that serves its check-ins."""
    base = _server_base(server)
    headers = {} if server.token is None else {"Authorization": f"Bearer {server.token}"}
    results = []
    limit = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=limit, headers=headers) as session:
        for feed in feeds:
            results.append(
                ProbeResult(feed.name, feed.stale_after, served=await _ask(session, base, feed))
            )
    return results


async def _ask(session: aiohttp.ClientSession, base: str, feed: FeedConfig) -> ServedVerdict:
    url = f"{base}/health/{quote(feed.name, safe='')}"
    try:
        async with session.get(url, allow_redirects=False) as response:
            if response.status not in (200, 503):
                return ServedVerdict(base, failure=f"HTTP {response.status} from {url}")
            body = json.loads(await response.content.read(1 << 20))
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
        return ServedVerdict(base, failure=str(exc) or type(exc).__name__)
    if not isinstance(body, dict) or not isinstance(body.get("state"), str):
        return ServedVerdict(base, failure=f"{url} gave no feed verdict")
    age, allowed = body.get("last_signal_age_seconds"), body.get("stale_after_seconds")
    return ServedVerdict(
        base,
        state=body["state"],
        healthy=body.get("healthy") is True,
        age=float(age) if isinstance(age, int | float) and body.get("data_messages") else None,
        stale_after=float(allowed) if isinstance(allowed, int | float) else None,
    )


async def probe_all(
    feeds: Sequence[FeedConfig], timeout: float, server: ServerConfig | None = None
) -> list[ProbeResult]:
    """Watch every feed at once with the engine, until each one's verdict is known; push
    feeds are asked of the feedwatch that receives their check-ins."""
    pushed = [f for f in feeds if f.transport == "push"]
    if pushed:
        probed = [f for f in feeds if f.transport != "push"]
        served = await ask_server(pushed, server or ServerConfig(), timeout)
        order = {f.name: i for i, f in enumerate(feeds)}
        own = await probe_all(probed, timeout) if probed else []
        return sorted([*own, *served], key=lambda r: order[r.feed])
    runtime = Runtime(Config(feeds=tuple(feeds)), parts=ENGINE_ONLY)
    looks = [_Look(feed, timeout) for feed in feeds]
    started = time.monotonic()
    await runtime.start()
    try:
        await asyncio.sleep(0)  # the workers start, and each schedule takes effect
        while True:
            elapsed = time.monotonic() - started
            for look in looks:
                if look.result is None:
                    look.result = look.decide(runtime.engine, elapsed)
            if all(look.result is not None for look in looks):
                break
            await asyncio.sleep(POLL)
    finally:
        await runtime.stop()
    return [look.result for look in looks if look.result is not None]


def nagios_report(results: Sequence[ProbeResult]) -> tuple[int, str]:
    """(exit status, text): a status line with perfdata, then one line per feed."""
    status = max(r.status for r in results)
    total = len(results)
    feeds = "feed" if total == 1 else "feeds"
    silent = [r.feed for r in results if r.status == CRITICAL]
    delivered = [
        r.feed
        for r in results
        if r.first_data is not None or (r.served is not None and r.served.state == "live")
    ]
    parts = [
        f"{len(silent)} of {total} {feeds} silent: {', '.join(silent)}"
        if silent
        else f"{len(delivered)} of {total} {feeds} delivered data"
    ]
    for word, names in (
        ("slow", [r.feed for r in results if r.status == WARNING]),
        ("quiet", [r.feed for r in results if r.quiet is not None]),
    ):
        if names:
            parts.append(f"{len(names)} {word}: {', '.join(names)}")
    summary = "; ".join(parts)
    perfdata = " ".join(
        f"'{r.feed.replace(chr(39), chr(39) * 2)}_first_data'={r.first_data:.3f}s;"
        f"{_number(r.window / 2)};{_number(r.window)};0"
        for r in results
        if r.first_data is not None
    )
    lines = [
        f"FEEDWATCH {STATUS_NAMES[status]} - {summary}" + (f" | {perfdata}" if perfdata else "")
    ]
    # One line each: a server's words (a close reason) must not forge the plugin's output.
    lines += [f"{r.feed}: {STATUS_NAMES[r.status]} - {printable(r.describe())}" for r in results]
    return status, "\n".join(lines)


def unknown(summary: str, details: str = "") -> tuple[int, str]:
    """The UNKNOWN report, for a check that could not run at all."""
    return UNKNOWN, f"FEEDWATCH UNKNOWN - {summary}" + (f"\n{details}" if details else "")


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


async def run_check(path: Path, names: Sequence[str] | None, timeout: str) -> tuple[int, str]:
    """The whole command: read the config, pick the feeds, probe them, report."""
    try:
        seconds = parse_duration(timeout)
    except ValueError as exc:
        return unknown(f"--timeout: {exc}")
    if seconds <= 0:
        return unknown("--timeout must be more than 0s")
    try:
        config = load_config(path)
    except ConfigError as exc:
        summary, _, details = str(exc).partition("\n")
        return unknown(summary.rstrip(":"), details)
    for warning in config.warnings:  # stdout is the plugin's answer; this is for people
        print(f"feedwatch: warning: {warning}", file=sys.stderr)
    feeds = {f.name: f for f in config.feeds}
    missing = [name for name in names or () if name not in feeds]
    if missing:
        quoted = ", ".join(f'"{name}"' for name in missing)
        return unknown(f"no feed named {quoted} in {path} (feeds: {', '.join(feeds)})")
    chosen = [feeds[name] for name in dict.fromkeys(names)] if names else list(feeds.values())
    return nagios_report(await probe_all(chosen, seconds, config.server))
