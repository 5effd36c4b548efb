"""The validated, ready-to-run configuration that the engine consumes.

The loader turns a TOML file into these frozen objects; everything in here is
already checked, expanded (``${VAR}``) and converted to seconds, so the engine
never has to second-guess its input.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

DEFAULT_MAX_SIZE = 1024 * 1024


@dataclass(frozen=True)
class MatcherSpec:
    """A message predicate: any substring, any regex, or all JSON path equalities."""

    contains: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    json: tuple[tuple[str, Any], ...] = ()

    @property
    def needs_json(self) -> bool:
        return bool(self.json)


@dataclass(frozen=True)
class ReplyRule:
    """Answer a server's request-style heartbeat (e.g. Deribit's test_request)."""

    match: MatcherSpec
    send: str


@dataclass(frozen=True)
class PingSpec:
    """An application-level ping some servers require to keep a connection open."""

    every: float
    send: str


@dataclass(frozen=True)
class BackoffSpec:
    initial: float = 1.0
    max: float = 60.0
    stable_after: float = 30.0


@dataclass(frozen=True)
class StormSpec:
    reconnects: int = 5
    window: float = 600.0


@dataclass(frozen=True)
class ScheduleWindow:
    """A weekly window (e.g. weekdays 09:30-16:00 New York) with its own threshold or quiet.

    ``end <= start`` means the window runs past midnight into the next day.
    """

    days: frozenset[int]  # 0 = Monday ... 6 = Sunday: the days the window STARTS on
    start: time
    end: time
    timezone: str  # an IANA name, for zoneinfo
    stale_after: float | None = None  # None: the feed's own stale_after
    quiet: bool = False  # connected and measured, never alarmed
    label: str = ""  # as written, for display: "mon-fri 09:30-16:00 America/New_York"


@dataclass(frozen=True)
class TlsSpec:
    """How a wss:// or https:// feed checks its server's certificate.

    Without a ca_file the system trust store decides (``context`` is None). With one, the
    feed trusts exactly the CAs in that PEM bundle, still checking the hostname. The context
    is built once while the config loads, so a bad bundle is a config error, not a failure
    at every connect.
    """

    ca_file: Path | None = None
    context: ssl.SSLContext | None = field(default=None, compare=False, repr=False)


EVENT_TIME_UNITS = ("ms", "s", "us", "ns", "iso8601")
ON_GAP = ("report", "reconnect")


@dataclass(frozen=True)
class SequenceRange:
    """sequence = { first, last }: each message carries a range of update ids, and the next
    message's first must be this one's last + 1 (Binance spot depth ``U``/``u``)."""

    first: str  # dotted JSON path to the range's first id
    last: str  # dotted JSON path to its last id


@dataclass(frozen=True)
class SequenceLink:
    """sequence = { prev, id }: each message names the id of the one before it (Binance
    futures depth ``pu``/``u``, OKX books ``prevSeqId``/``seqId``)."""

    prev: str  # dotted JSON path to the previous message's id
    id: str  # dotted JSON path to this message's id


@dataclass(frozen=True)
class FeedConfig:
    name: str
    url: str = field(repr=False)  # secrets stay out of reprs: crash output shows them
    stale_after: float
    subscribe: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    # Query parameters of url shown as written; every other query value is masked as a secret.
    public_params: tuple[str, ...] = ()
    channel_key: str | None = None
    channels: tuple[str, ...] = ()
    heartbeat: MatcherSpec | None = None
    ignore: MatcherSpec | None = None
    ping: PingSpec | None = None
    replies: tuple[ReplyRule, ...] = ()
    backoff: BackoffSpec = field(default_factory=BackoffSpec)
    storm: StormSpec = field(default_factory=StormSpec)
    tls: TlsSpec = field(default_factory=TlsSpec)
    # stale_after = "auto": learned from the feed's gaps (4 x p99 per hour of the week),
    # held within [auto_min, auto_max]; stale_after is then auto_initial, used until enough
    # gaps are seen.
    stale_after_auto: bool = False
    auto_min: float = 1.0
    auto_max: float = 3600.0
    # Where learning starts, until enough gaps are seen (None: stale_after).
    auto_initial: float | None = None
    # Channel staleness threshold; defaults to the feed's stale_after. With
    # channel_stale_after = "auto" (the default under stale_after = "auto") each channel
    # learns its own from its own gaps, within the same auto_min and auto_max.
    channel_stale_after: float | None = None
    channel_stale_after_auto: bool = False
    # How long a fresh connection has for its first data (feed and each channel). None:
    # stale_after with a fixed threshold; with a learned one, at least FIRST_DATA_FLOOR
    # and twice the slowest first data of the latest sessions.
    first_data_within: float | None = None
    # What a stale feed or channel does besides reporting itself.
    reconnect_on_stale: bool = True
    reconnect_on_channel_stale: bool = False
    # A stale channel makes the feed "partial": "page" counts that as unhealthy (/health
    # 503, check CRITICAL), "warn" as a warning (/health 200, check WARNING).
    channel_health: str = "page"
    # Transport limits.
    max_size: int = DEFAULT_MAX_SIZE
    open_timeout: float = 10.0
    protocol_ping_interval: float | None = 20.0
    protocol_ping_timeout: float | None = 20.0
    # Upper bound on distinct channels tracked, so memory stays bounded.
    max_channels: int = 1000
    # Schedules: the first window that contains "now" decides; outside every window the
    # feed uses stale_after, or is quiet when quiet_outside is set.
    schedule: tuple[ScheduleWindow, ...] = ()
    quiet_outside: bool = False
    # The slower rule: no data for this long (outside quiet) alerts even without reconnects.
    max_silence: float | None = None
    # Alerting: a stale feed alerts only once it has been stale for grace; a feed that cannot
    # connect for down_after is down.
    grace: float = 0.0
    down_after: float = 120.0
    # Content signals (each off unless its path is set): event-time lag, sequence gaps,
    # a frozen value, and announced disconnects.
    # Dotted JSON path(s) to the message's own timestamp; of several, the first that reads one.
    event_time: str | tuple[str, ...] | None = None
    event_time_unit: str = "ms"  # one of EVENT_TIME_UNITS
    max_lag: float | None = None  # lagging above this (needs event_time)
    # A dotted JSON path to a number that grows by one per message, or a range / link of ids.
    sequence: str | SequenceRange | SequenceLink | None = None
    on_gap: str = "report"  # one of ON_GAP
    value: str | None = None  # dotted JSON path to a value that must keep changing
    frozen_after: float | None = None  # frozen when value is unchanged this long
    planned_close: MatcherSpec | None = None  # a message announcing the server will disconnect
    # What carries the feed: websocket | sse | http-poll | file | push | in-process | sql
    # (see TRANSPORTS).
    transport: str = "websocket"
    # file: the log file to tail.
    path: str | None = None
    # http-poll: how often to ask, and the dotted JSON path of the service's own data age.
    poll_every: float = 10.0
    age_field: str | None = None
    # sql: the one read-only query polled every poll_every seconds (its first column the
    # newest row's timestamp, its optional second a channel), and how long it may run. The
    # dsn itself is ``url`` (a sqlite:// path made absolute, or a postgresql:// URL).
    query: str | None = None
    query_timeout: float = 5.0
    # push: the bearer token a check-in must carry, and how many check-ins a second (on
    # average, push_burst at once) are taken before the endpoint answers 429.
    push_token: str | None = field(default=None, repr=False)
    push_rate: float = 10.0
    push_burst: float = 20.0
    # The url and headers as written, before ${VAR} expansion (safe to display).
    url_template: str = field(default="", repr=False)
    # Secrets that came from the environment, to redact wherever text is shown.
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def learns(self) -> bool:
        """Whether any threshold of this feed is learned (stale_after or channel_stale_after)."""
        return self.stale_after_auto or self.channel_stale_after_auto

    @property
    def effective_channel_stale_after(self) -> float:
        return (
            self.channel_stale_after if self.channel_stale_after is not None else self.stale_after
        )


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int | None = None
    # Bearer token required by /health and /metrics when set.
    token: str | None = field(default=None, repr=False)

    @property
    def enabled(self) -> bool:
        return self.port is not None


@dataclass(frozen=True)
class HistoryConfig:
    """Where events and incidents are kept across restarts."""

    enabled: bool = True
    path: Path | None = None  # None: platformdirs.user_state_path("feedwatch") / "history.db"
    retention_days: float = 30.0


@dataclass(frozen=True)
class UiConfig:
    # How often the dashboard samples the engine; message rates never change it.
    refresh_hz: float = 4.0
    # False: no mouse tracking, so the terminal's own text selection works as usual.
    mouse: bool = True
    # For mosh or ssh over a poor link: 1 Hz, still sparklines, ASCII glyphs.
    low_bandwidth: bool = False


TRANSPORTS = ("websocket", "sse", "http-poll", "file", "push", "in-process", "sql")
# Transports with no connection of feedwatch's own: their data is handed to it.
FED = ("push", "in-process")
CHANNEL_HEALTH = ("page", "warn")
ALERT_CONDITIONS = ("stale", "storm", "down", "silence", "lagging", "frozen", "recovered")
ALERT_TYPES = ("bell", "command", "webhook")
WEBHOOK_FORMATS = ("json", "slack", "discord", "ntfy")


@dataclass(frozen=True)
class AlertChannel:
    """One [[alerts]] table: where alerts go, for which conditions and feeds."""

    type: str  # bell | command | webhook
    name: str  # the `channel` label in metrics and events
    on: frozenset[str] = frozenset(ALERT_CONDITIONS)
    feeds: tuple[str, ...] = ("*",)  # glob patterns
    url: str | None = field(default=None, repr=False)  # webhook, ${VAR} expanded
    url_template: str | None = field(default=None, repr=False)  # as written, safe to show
    format: str = "json"
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    argv: tuple[str, ...] = ()  # command
    timeout: float = 10.0
    retries: int = 3  # webhook: attempts after the first
    repeat: float | None = None  # a reminder while a condition lasts
    secrets: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Config:
    feeds: tuple[FeedConfig, ...]
    server: ServerConfig = field(default_factory=ServerConfig)
    source: Path | None = None
    ui: UiConfig = field(default_factory=UiConfig)
    alerts: tuple[AlertChannel, ...] = ()
    history: HistoryConfig = field(default_factory=HistoryConfig)
    # Said to the user but not fatal (a file readable by others that holds secrets).
    warnings: tuple[str, ...] = ()
