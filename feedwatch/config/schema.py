"""The raw shape of a config file: values exactly as written, before units and ${VAR} resolve.

Every table forbids unknown keys, so a typo is an error instead of a silently disabled check.
The ``expected`` text in a field's metadata is what a user is told when a value has the wrong type.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from feedwatch.config.durations import EXPECTED_DURATION
from feedwatch.config.listen import EXPECTED_LISTEN
from feedwatch.config.sizes import EXPECTED_SIZE

Duration = Annotated[str | int | float, msgspec.Meta(extra={"expected": EXPECTED_DURATION})]
DurationOrOff = Annotated[
    bool | str | int | float,
    msgspec.Meta(extra={"expected": f"{EXPECTED_DURATION}, or false to turn it off"}),
]
Size = Annotated[str | int, msgspec.Meta(extra={"expected": EXPECTED_SIZE})]
Listen = Annotated[str | int, msgspec.Meta(extra={"expected": EXPECTED_LISTEN})]
Patterns = Annotated[
    str | list[str], msgspec.Meta(extra={"expected": "a string or a list of strings"})
]
EventTime = Annotated[
    str | list[str],
    msgspec.Meta(extra={"expected": "a dotted JSON path or a list of them"}),
]
# The table form is checked key by key in feed_reader, which can name the form it expected.
Sequence = Annotated[
    str | dict[str, Any],
    msgspec.Meta(extra={"expected": "a dotted JSON path, { first, last } or { prev, id }"}),
]
Messages = Annotated[
    str | dict[str, Any] | list[str | dict[str, Any]],
    msgspec.Meta(extra={"expected": "a string, an inline table, or a list of them"}),
]


class MatcherTable(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Which messages a rule applies to; exactly one of the three must be set."""

    contains: Patterns | None = None
    json: dict[str, Any] | None = None
    regex: Patterns | None = None


class ReplyTable(MatcherTable, forbid_unknown_fields=True, kw_only=True):
    send: str


class PingTable(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    every: Duration
    send: str


class BackoffTable(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    initial: Duration | None = None
    max: Duration | None = None
    stable_after: Duration | None = None


class StormTable(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reconnects: int | None = None
    window: Duration | None = None


class ScheduleTable(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    days: str | list[str]
    start: str
    end: str
    timezone: str
    stale_after: Duration | None = None
    quiet: bool = False


class TlsTable(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    ca_file: str | None = None


class FeedTable(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str
    # Filled in before this struct is read: the loader merges the preset's keys in.
    preset: str | None = None
    symbols: list[str] = []
    url: str | None = None
    stale_after: Duration
    transport: str = "websocket"
    path: str | None = None
    every: Duration | None = None
    age_field: str | None = None
    dsn: str | None = None
    query: str | None = None
    query_timeout: Duration | None = None
    push_token: str | None = None
    push_rate: float | int | None = None
    subscribe: Messages = []
    headers: dict[str, str] = {}
    public_params: list[str] = []
    channel_key: str | None = None
    channels: list[str] = []
    channel_stale_after: Duration | None = None
    auto_min: Duration | None = None
    auto_max: Duration | None = None
    auto_initial: Duration | None = None
    first_data_within: Duration | None = None
    reconnect_on_stale: bool | None = None
    reconnect_on_channel_stale: bool = False
    channel_health: str = "page"
    max_size: Size | None = None
    open_timeout: Duration | None = None
    protocol_ping: DurationOrOff | None = None
    protocol_ping_timeout: DurationOrOff | None = None
    max_channels: int | None = None
    heartbeat: MatcherTable | None = None
    ignore: MatcherTable | None = None
    ping: PingTable | None = None
    reply: list[ReplyTable] = []
    backoff: BackoffTable | None = None
    storm: StormTable | None = None
    tls: TlsTable | None = None
    schedule: list[ScheduleTable] = []
    quiet_outside: bool = False
    max_silence: Duration | None = None
    grace: Duration | None = None
    down_after: Duration | None = None
    event_time: EventTime | None = None
    event_time_unit: str | None = None
    max_lag: Duration | None = None
    sequence: Sequence | None = None
    on_gap: str | None = None
    value: str | None = None
    frozen_after: Duration | None = None
    planned_close: MatcherTable | None = None


class ServerTable(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    listen: Listen | None = None
    token: str | None = None


class AlertTable(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    type: str
    name: str | None = None
    on: list[str] | None = None
    feeds: list[str] | None = None
    url: str | None = None
    format: str | None = None
    headers: dict[str, str] = {}
    argv: list[str] | None = None
    timeout: Duration | None = None
    retries: int | None = None
    repeat: Duration | None = None


class UiTable(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    refresh_hz: float | None = None
    mouse: bool = True
    low_bandwidth: bool = False


class HistoryTable(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    enabled: bool = True
    path: str | None = None
    retention: Duration | None = None


class ConfigFile(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    server: ServerTable | None = None
    ui: UiTable | None = None
    alerts: list[AlertTable] = []
    history: HistoryTable | None = None
    feeds: list[FeedTable] = []
