"""The meaning pass: one well-shaped [[feeds]] table turned into a ready-to-run FeedConfig.

Durations and sizes become numbers, ``${VAR}`` references expand from the environment (and are
remembered as secrets), matchers are checked, and so are the rules that span several keys.
"""

from __future__ import annotations

import json
import math
import re
import ssl
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from feedwatch.config import schema
from feedwatch.config.content_paths import (
    is_json_path,
    read_event_time,
    read_json_path,
    read_sequence,
)
from feedwatch.config.durations import format_duration, parse_duration
from feedwatch.config.model import (
    CHANNEL_HEALTH,
    DEFAULT_MAX_SIZE,
    EVENT_TIME_UNITS,
    FED,
    ON_GAP,
    TRANSPORTS,
    BackoffSpec,
    FeedConfig,
    MatcherSpec,
    PingSpec,
    ReplyRule,
    ScheduleWindow,
    StormSpec,
    TlsSpec,
)
from feedwatch.config.problems import Report, Segments
from feedwatch.config.schedule_reader import read_window
from feedwatch.config.sizes import EXPECTED_SIZE, parse_size
from feedwatch.config.sql_reader import dsn_problem, is_sqlite, sqlite_dsn, statement_count
from feedwatch.config.toml_text import toml_repr

_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_VARIABLE = re.compile(r"\$\$\{|\$\{(?P<body>[^}]*)(?P<end>\})?")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class FeedReader:
    """Turns one well-shaped [[feeds]] table into a FeedConfig, reporting every problem."""

    def __init__(
        self,
        report: Report,
        environ: Mapping[str, str],
        at: Segments,
        base: Path | None = None,
    ) -> None:
        self.report_at = report
        self.environ = environ
        self.at = at
        self.base = base  # the config file's directory: relative paths start there
        self.secrets: list[str] = []
        self.problems = 0

    def report(self, at: Segments, message: str, *, keyed: bool = True) -> None:
        """Report a problem at a key of this feed (a ``Report``, for the readers it calls)."""
        self.problems += 1
        self.report_at((*self.at, *at), message, keyed=keyed)

    def read(self, table: schema.FeedTable) -> FeedConfig | None:
        self.nonempty(table.name, ("name",))
        url = self.location(table)
        headers = tuple((name, self.header(name, value)) for name, value in table.headers.items())
        stale_after, auto = self.threshold(table)
        channel_stale = None
        if table.channel_stale_after is not None and table.channel_stale_after != "auto":
            channel_stale = self.seconds(table.channel_stale_after, ("channel_stale_after",))
        first_data_within = (
            None
            if table.first_data_within is None
            else self.seconds(table.first_data_within, ("first_data_within",))
        )
        self.check_channels(table)
        defaults = FeedConfig(name="", url="", stale_after=1.0)
        feed = FeedConfig(
            name=table.name,
            url=url,
            stale_after=stale_after,
            **auto,
            subscribe=self.subscribe(table.subscribe),
            headers=headers,
            public_params=self.public_params(table, url),
            channel_key=table.channel_key,
            channels=tuple(table.channels),
            heartbeat=self.optional_matcher(table.heartbeat, "heartbeat"),
            ignore=self.optional_matcher(table.ignore, "ignore"),
            ping=self.ping(table.ping) if table.ping is not None else None,
            replies=tuple(self.reply(rule, index) for index, rule in enumerate(table.reply)),
            backoff=self.backoff(table.backoff or schema.BackoffTable()),
            storm=self.storm(table.storm or schema.StormTable()),
            tls=self.tls(table.tls, table.transport, url),
            channel_stale_after=channel_stale,
            first_data_within=first_data_within,
            reconnect_on_stale=self.reconnect_on_stale(table),
            reconnect_on_channel_stale=table.reconnect_on_channel_stale,
            channel_health=self.choice(table.channel_health, ("channel_health",), CHANNEL_HEALTH),
            max_size=self.size(table.max_size, ("max_size",)),
            open_timeout=self.seconds(table.open_timeout, ("open_timeout",), defaults.open_timeout),
            protocol_ping_interval=self.switchable(
                table.protocol_ping, ("protocol_ping",), defaults.protocol_ping_interval
            ),
            protocol_ping_timeout=self.switchable(
                table.protocol_ping_timeout,
                ("protocol_ping_timeout",),
                defaults.protocol_ping_timeout,
            ),
            max_channels=self.at_least_one(
                table.max_channels, ("max_channels",), defaults.max_channels
            ),
            schedule=self.schedule(table.schedule),
            quiet_outside=table.quiet_outside,
            max_silence=(
                None
                if table.max_silence is None
                else self.seconds(table.max_silence, ("max_silence",))
            ),
            grace=self.seconds(table.grace, ("grace",), defaults.grace, zero=True),
            down_after=self.seconds(table.down_after, ("down_after",), defaults.down_after),
            **self.content_signals(table),
            **self.transport_keys(table, url),
            url_template=_location_template(table, url),
            secrets=tuple(dict.fromkeys(self.secrets)),
        )
        return None if self.problems else feed

    def content_signals(self, table: schema.FeedTable) -> dict[str, Any]:
        """event_time, sequence, value and planned_close: checks on what the data says."""
        event_time = read_event_time(table.event_time, self.report)
        sequence = read_sequence(table.sequence, self.report)
        if table.value is not None:
            read_json_path(table.value, ("value",), self.report)
        unit = table.event_time_unit or "ms"
        if unit not in EVENT_TIME_UNITS:
            self.report(
                ("event_time_unit",),
                f"expected one of {', '.join(EVENT_TIME_UNITS)}, found {toml_repr(unit)}",
            )
        on_gap = table.on_gap or "report"
        if on_gap not in ON_GAP:
            self.report(("on_gap",), f'expected "report" or "reconnect", found {toml_repr(on_gap)}')
        for key, needs, used in (
            ("event_time_unit", "event_time", table.event_time_unit is not None),
            ("max_lag", "event_time", table.max_lag is not None),
            ("on_gap", "sequence", table.on_gap is not None),
            ("frozen_after", "value", table.frozen_after is not None),
            ("value", "frozen_after", table.value is not None),
        ):
            if used and getattr(table, needs) is None:
                self.report((key,), f"has no effect without {needs}")
        max_lag = None if table.max_lag is None else self.seconds(table.max_lag, ("max_lag",))
        frozen_after = (
            None
            if table.frozen_after is None
            else self.seconds(table.frozen_after, ("frozen_after",))
        )
        return {
            "event_time": event_time,
            "event_time_unit": unit,
            "max_lag": max_lag,
            "sequence": sequence,
            "on_gap": on_gap,
            "value": table.value,
            "frozen_after": frozen_after,
            "planned_close": self.optional_matcher(table.planned_close, "planned_close"),
        }

    def schedule(self, tables: list[schema.ScheduleTable]) -> tuple[ScheduleWindow, ...]:
        windows = []
        for index, table in enumerate(tables):
            window = read_window(table, ("schedule", index), self.report)
            if window is not None:
                windows.append(window)
        return tuple(windows)

    def threshold(self, table: schema.FeedTable) -> tuple[float, dict[str, Any]]:
        """stale_after, and with "auto" (for the feed, its channels or both) the bounds of
        learning; the bounds alone are a mistake worth naming."""
        bounds = {
            "auto_min": table.auto_min,
            "auto_max": table.auto_max,
            "auto_initial": table.auto_initial,
        }
        feed_auto = table.stale_after == "auto"
        channel_auto = table.channel_stale_after == "auto" or (
            feed_auto and table.channel_stale_after is None and table.channel_key is not None
        )
        if not (feed_auto or channel_auto):
            for key, value in bounds.items():
                if value is not None:
                    self.report(
                        (key,),
                        f'applies only with stale_after = "auto" or channel_stale_after = '
                        f'"auto", found stale_after = {toml_repr(table.stale_after)}',
                    )
            return self.seconds(table.stale_after, ("stale_after",)), {}
        floor = self.seconds(table.auto_min, ("auto_min",), 1.0)
        ceiling = self.seconds(table.auto_max, ("auto_max",), 3600.0)
        if feed_auto:
            initial = self.seconds(table.auto_initial, ("auto_initial",), 60.0)
            stale_after = initial
        else:
            # The feed keeps its fixed threshold; channels start from it (or auto_initial).
            stale_after = self.seconds(table.stale_after, ("stale_after",))
            initial = (
                stale_after
                if table.auto_initial is None
                else self.seconds(table.auto_initial, ("auto_initial",))
            )
        if floor > ceiling:
            self.report(
                ("auto_max",),
                f"must be at least auto_min ({toml_repr(table.auto_min)}), "
                f"found {toml_repr(table.auto_max)}",
            )
        elif not floor <= initial <= ceiling and (feed_auto or table.auto_initial is not None):
            self.report(
                ("auto_initial",),
                f"must lie within auto_min and auto_max ({format_duration(floor)} to "
                f"{format_duration(ceiling)}), found {toml_repr(table.auto_initial or '60s')}",
            )
        return stale_after, {
            "stale_after_auto": feed_auto,
            "channel_stale_after_auto": channel_auto,
            "auto_min": floor,
            "auto_max": ceiling,
            "auto_initial": min(ceiling, max(floor, initial)),
        }

    # -- values --------------------------------------------------------------------------------

    def choice(self, value: str, key: Segments, allowed: tuple[str, ...]) -> str:
        if value in allowed:
            return value
        expected = ", ".join(f'"{name}"' for name in allowed)
        self.report(key, f"expected one of {expected}, found {toml_repr(value)}")
        return allowed[0]

    def seconds(
        self, value: str | float | None, key: Segments, default: float = 1.0, *, zero: bool = False
    ) -> float:
        if value is None:
            return default
        try:
            seconds = parse_duration(value)
        except ValueError as err:
            self.report(key, str(err))
            return default
        if seconds == 0 and not zero:
            self.report(key, f"must be greater than zero, found {toml_repr(value)}")
        return seconds

    def switchable(
        self, value: bool | str | float | None, key: Segments, default: float | None
    ) -> float | None:
        """A protocol-level timer where false or 0 means off and true means the default."""
        if value is None or value is True:
            return default
        if value is False:
            return None
        return self.seconds(value, key, zero=True) or None

    def at_least_one(self, value: int | None, key: Segments, default: int) -> int:
        if value is None:
            return default
        if value < 1:
            self.report(key, f"must be at least 1, found {value}")
        return value

    def size(self, value: str | int | None, key: Segments) -> int:
        if value is None:
            return DEFAULT_MAX_SIZE
        try:
            return parse_size(value)
        except ValueError as err:
            self.report(key, f"expected {EXPECTED_SIZE}, found {toml_repr(value)} ({err})")
            return DEFAULT_MAX_SIZE

    def nonempty(self, value: str, key: Segments) -> str:
        if not value.strip():
            self.report(key, f"must not be empty, found {toml_repr(value)}")
        return value

    # -- connection ----------------------------------------------------------------------------

    def expand(self, template: str, key: Segments) -> str:
        """Substitute ${VAR} and ${VAR:-default}; $${ writes a literal ${."""
        parts: list[str] = []
        position = 0
        for match in _VARIABLE.finditer(template):
            parts.append(template[position : match.start()])
            position = match.end()
            body = match["body"]
            name, has_default, default = (body or "").partition(":-")
            if match[0] == "$${":
                parts.append("${")
            elif match["end"] is None or not _VARIABLE_NAME.fullmatch(name):
                shown = "${" + (body or "") + ("}" if match["end"] else "")
                self.report(
                    key,
                    f'"{shown}" is not a variable reference; write ${{NAME}} or '
                    '${NAME:-default} (NAME: letters, digits, _), or $${ for a literal "${"',
                )
            elif self.environ.get(name):
                parts.append(self.environ[name])
                self.secrets.append(self.environ[name])
            elif has_default:
                parts.append(default)
            elif name not in self.environ:
                self.report(
                    key,
                    f"environment variable {name} is not set "
                    f"(set it, or write ${{{name}:-default}})",
                )
        parts.append(template[position:])
        return "".join(parts)

    def reconnect_on_stale(self, table: schema.FeedTable) -> bool:
        """Reconnect when stale: the default, except where there is no connection to redo."""
        if table.transport == "sql":  # a new connection would read the same old rows
            return table.reconnect_on_stale is True
        if table.transport not in FED:
            return table.reconnect_on_stale is not False
        if table.reconnect_on_stale:
            self.report(
                ("reconnect_on_stale",),
                f'has no effect on transport = "{table.transport}": its data is handed to '
                "feedwatch, nothing connects (an in-process consumer reconnects itself)",
            )
        return False

    def location(self, table: schema.FeedTable) -> str:
        """The url, or for a file feed its path (what the dashboard shows as where it is)."""
        transport = table.transport
        if transport == "push":
            if table.url is not None:
                self.report(
                    ("url",),
                    'does not apply to transport = "push": check-ins arrive at '
                    "POST /v1/push/<name>",
                )
            if table.path is not None:
                self.report(("path",), 'only applies to transport = "file"')
            return f"/v1/push/{table.name}"
        if transport == "in-process":
            # Fed by a Watcher in the consumer's own process (feedwatch.Watcher).
            if table.url is not None:
                self.report(
                    ("url",),
                    'does not apply to transport = "in-process": the consumer hands its '
                    "messages to feedwatch.Watcher",
                )
            if table.path is not None:
                self.report(("path",), 'only applies to transport = "file"')
            return f"in-process:{table.name}"
        if transport == "file":
            if table.url is not None:
                self.report(("url",), 'does not apply to transport = "file"; use path instead')
            if table.path is None:
                self.report(("path",), "required key is missing")
                return ""
            return self.nonempty(self.expand(table.path, ("path",)), ("path",))
        if transport == "sql":
            return self.dsn(table)
        if table.path is not None:
            self.report(("path",), 'only applies to transport = "file"')
        if table.url is None:
            self.report(("url",), "required key is missing")
            return ""
        return self.url(table.url, _SCHEMES.get(transport, _SCHEMES["websocket"]))

    def dsn(self, table: schema.FeedTable) -> str:
        """A sql feed's dsn, expanded and checked: what it connects to (held as its url)."""
        for key in ("url", "path"):
            if getattr(table, key) is not None:
                self.report((key,), 'does not apply to transport = "sql"; use dsn instead')
        if table.dsn is None:
            self.report(("dsn",), "required key is missing")
            return ""
        before = self.problems
        dsn = self.expand(table.dsn, ("dsn",))
        if self.problems > before:
            return dsn
        problem = dsn_problem(dsn)
        if problem is not None:
            self.report(("dsn",), f"{problem}, found {toml_repr(table.dsn)}")
            return dsn
        return sqlite_dsn(dsn, self.base) if is_sqlite(dsn) else dsn

    def sql_keys(self, table: schema.FeedTable) -> dict[str, Any]:
        """query (required, one statement) and query_timeout."""
        query = table.query
        if query is None:
            self.report(
                ("query",),
                "required key is missing: one SELECT whose first column is the newest row's "
                'timestamp, like "SELECT max(ts) FROM ticks"',
            )
        elif statement_count(query) != 1:
            found = "none" if statement_count(query) == 0 else f"{statement_count(query)}"
            self.report(("query",), f"expected exactly one SQL statement, found {found}")
        rows = "a row is a timestamp and a channel, no message to read"
        for key, meaning in (
            ("channel_key", "a row's channel is the query's second column"),
            ("headers", "a database is not asked over HTTP"),
            *((key, rows) for key in _MESSAGE_RULES),
        ):
            if getattr(table, key):
                self.report((key,), f'does not apply to transport = "sql": {meaning}')
        timeout = self.seconds(table.query_timeout, ("query_timeout",), 5.0)
        return {"query": query, "query_timeout": timeout}

    def transport_keys(self, table: schema.FeedTable, location: str) -> dict[str, Any]:
        """transport and the keys that belong to one transport only."""
        transport = table.transport
        if transport not in TRANSPORTS:
            expected = ", ".join(f'"{name}"' for name in TRANSPORTS)
            self.report(("transport",), f"expected one of {expected}, found {toml_repr(transport)}")
        if transport not in ("http-poll", "sql") and table.every is not None:
            self.report(("every",), 'only applies to transport = "http-poll" or "sql"')
        if transport != "http-poll" and table.age_field is not None:
            self.report(("age_field",), 'only applies to transport = "http-poll"')
        for key, owner in (
            ("push_token", "push"),
            ("push_rate", "push"),
            ("dsn", "sql"),
            ("query", "sql"),
            ("query_timeout", "sql"),
        ):
            if transport != owner and getattr(table, key) is not None:
                self.report((key,), f'only applies to transport = "{owner}"')
        if transport != "websocket":
            for key, used in (
                ("subscribe", bool(table.subscribe)),
                ("ping", table.ping is not None),
                ("reply", bool(table.reply)),
            ):
                if used:
                    self.report(
                        (key,),
                        f"only applies to WebSocket feeds: a {transport} feed cannot send "
                        "anything to its source",
                    )
        if table.age_field is not None and not is_json_path(table.age_field):
            found = toml_repr(table.age_field)
            self.report(
                ("age_field",),
                f'expected a dotted JSON path like "last_signal_age_seconds", found {found}',
            )
        return {
            "transport": transport,
            "path": location if transport == "file" else None,
            "poll_every": self.seconds(table.every, ("every",), 10.0),
            "age_field": table.age_field,
            **(self.push_keys(table) if transport == "push" else {}),
            **(self.sql_keys(table) if transport == "sql" else {}),
        }

    def push_keys(self, table: schema.FeedTable) -> dict[str, Any]:
        """push_token (required: an open endpoint lets anyone fake a consumer's life) and
        push_rate."""
        token = None
        if table.push_token is None:
            self.report(
                ("push_token",),
                'required key is missing: check-ins must carry it as "Authorization: '
                'Bearer TOKEN" (write push_token = "${FEEDWATCH_PUSH_TOKEN}" to keep it '
                "out of the file)",
            )
        else:
            token = self.expand(table.push_token, ("push_token",))
            if not token.strip():
                self.report(("push_token",), "an empty token would let anyone check in")
            else:
                self.secrets.append(token)
        rate = 10.0
        if table.push_rate is not None:
            rate = float(table.push_rate)
            if not (math.isfinite(rate) and rate > 0):
                self.report(
                    ("push_rate",),
                    f"expected check-ins per second above zero, found {toml_repr(table.push_rate)}",
                )
                rate = 10.0
        return {"push_token": token, "push_rate": rate, "push_burst": max(1.0, 2 * rate)}

    def tls(self, table: schema.TlsTable | None, transport: str, url: str) -> TlsSpec:
        """[feeds.tls]: only where TLS is spoken, and a CA bundle that loads now, not at connect."""
        if table is None or table.ca_file is None:
            return TlsSpec()
        if transport in ("file", "in-process", "sql"):
            hint = " (for PostgreSQL, set sslmode and sslrootcert in the dsn)"
            hint = hint if transport == "sql" else ""
            self.report(("tls",), f'does not apply to transport = "{transport}"{hint}')
            return TlsSpec()
        scheme = urlsplit(url).scheme.lower() if url else ""
        if scheme in ("ws", "http"):
            self.report(
                ("tls", "ca_file"),
                f"has no effect on a {scheme}:// URL, which does not use TLS "
                f"(use {scheme}s:// to connect with TLS)",
            )
            return TlsSpec()
        return self.ca_bundle(table.ca_file)

    def ca_bundle(self, template: str) -> TlsSpec:
        """The CAs a feed trusts, loaded while a bad file can still be named as a config error."""
        key = ("tls", "ca_file")
        before = len(self.secrets)
        written = self.expand(template, key)
        del self.secrets[before:]  # a file name is not a secret to mask in every message
        if not written.strip():
            self.report(key, f"must not be empty, found {toml_repr(template)}")
            return TlsSpec()
        path = Path(written).expanduser()
        if not path.is_absolute() and self.base is not None:
            path = self.base / path  # relative to the config file, not the cwd
        try:
            context = ssl.create_default_context(cafile=path)
        except OSError as err:  # ssl.SSLError included
            self.report(
                key,
                f"expected a PEM file of CA certificates, found {toml_repr(template)}: "
                + _unusable_bundle(path, err),
            )
            return TlsSpec()
        return TlsSpec(ca_file=path, context=context)

    def url(self, template: str, schemes: tuple[str, str]) -> str:
        before = self.problems
        url = self.expand(template, ("url",))
        if self.problems > before:
            return url
        problem = _url_problem(url, schemes)
        if problem:
            note = " after expanding ${...}" if problem != _url_problem(template, schemes) else ""
            reason, hint = problem
            self.report(("url",), f"{reason}, found {toml_repr(template)}{note}{hint}")
        return url

    def public_params(self, table: schema.FeedTable, url: str) -> tuple[str, ...]:
        """Query parameters the user says hold no secret; a name not in the url is a typo."""
        key = ("public_params",)
        try:
            query = urlsplit(url).query
        except ValueError:
            return ()  # the url's own check reports it
        written = {unquote_plus(item.partition("=")[0]).lower() for item in query.split("&")}
        for name in table.public_params:
            if not name.strip():
                self.report(key, "expected query parameter names, found an empty one")
            elif name.lower() not in written:
                found = ", ".join(sorted(n for n in written if n)) or "none"
                self.report(
                    key,
                    f"{json.dumps(name)} is not a query parameter of url (its parameters: {found})",
                )
        return tuple(table.public_params)

    def header(self, name: str, template: str) -> str:
        key = ("headers", name)
        if not _HEADER_NAME.fullmatch(name):
            self.report(key, "is not a valid HTTP header name (letters, digits and -, no spaces)")
        value = self.expand(template, key)
        if "\r" in value or "\n" in value:
            self.report(key, "must not contain a line break")
        return value

    def subscribe(
        self, value: str | dict[str, Any] | list[str | dict[str, Any]]
    ) -> tuple[str, ...]:
        entries = value if isinstance(value, list) else [value]
        messages: list[str] = []
        for index, entry in enumerate(entries):
            key: Segments = ("subscribe", index) if isinstance(value, list) else ("subscribe",)
            if isinstance(entry, str):
                messages.append(self.nonempty(entry, key))
                continue
            try:
                messages.append(json.dumps(entry, separators=(",", ":"), allow_nan=False))
            except (TypeError, ValueError):
                self.report(key, "cannot be sent as JSON: it holds a TOML date/time, nan or inf")
        return tuple(messages)

    def check_channels(self, table: schema.FeedTable) -> None:
        if table.channel_key is not None and not is_json_path(table.channel_key):
            found = toml_repr(table.channel_key)
            self.report(
                ("channel_key",), f'expected a dotted JSON path like "data.channel", found {found}'
            )
        if table.channel_key is None:
            meaning = (
                'channel_key, the dotted JSON path (like "stream") that names a message\'s channel'
            )
            for key, used in (
                ("channels", bool(table.channels)),
                ("channel_stale_after", table.channel_stale_after is not None),
                ("reconnect_on_channel_stale", table.reconnect_on_channel_stale),
            ):
                if used:
                    self.report((key,), f"has no effect without {meaning}")
        seen: set[str] = set()
        for index, channel in enumerate(table.channels):
            self.nonempty(channel, ("channels", index))
            if channel in seen:
                self.report(("channels", index), f"{toml_repr(channel)} is listed twice")
            seen.add(channel)

    # -- rules ---------------------------------------------------------------------------------

    def optional_matcher(self, table: schema.MatcherTable | None, key: str) -> MatcherSpec | None:
        return self.matcher(table, (key,)) if table is not None else None

    def matcher(self, table: schema.MatcherTable, key: Segments) -> MatcherSpec:
        given = [name for name in ("contains", "json", "regex") if getattr(table, name) is not None]
        if len(given) != 1:
            found = " and ".join(given) if given else "none of them"
            self.report(key, f"expected exactly one of contains, json or regex, found {found}")
        regexes = self.patterns(table.regex, (*key, "regex"))
        for index, pattern in enumerate(regexes):
            try:
                re.compile(pattern)
            except re.error as err:
                where = (*key, "regex", index) if isinstance(table.regex, list) else (*key, "regex")
                at = f" at position {err.pos}" if err.pos is not None else ""
                self.report(
                    where, f"invalid regular expression {toml_repr(pattern)}: {err.msg}{at}"
                )
        return MatcherSpec(
            contains=self.patterns(table.contains, (*key, "contains")),
            regex=regexes,
            json=self.json_pairs(table.json, (*key, "json")),
        )

    def patterns(self, value: str | list[str] | None, key: Segments) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            return (self.nonempty(value, key),)
        if not value:
            self.report(key, "expected at least one pattern, found []")
        return tuple(self.nonempty(pattern, (*key, index)) for index, pattern in enumerate(value))

    def json_pairs(
        self, table: dict[str, Any] | None, key: Segments
    ) -> tuple[tuple[str, Any], ...]:
        if table is None:
            return ()
        pairs = tuple(_flatten(table))
        if not pairs:
            self.report(
                key, 'expected at least one dotted.path = value pair, like { event = "heartbeat" }'
            )
        for path, value in pairs:
            if not is_json_path(path):
                self.report((*key, path), "is not a dotted JSON path (empty part between dots)")
            if not _is_json_value(value):
                self.report((*key, path), f"{toml_repr(value)} can never appear in JSON")
        return pairs

    def ping(self, table: schema.PingTable) -> PingSpec:
        every = self.seconds(table.every, ("ping", "every"))
        return PingSpec(every=every, send=self.nonempty(table.send, ("ping", "send")))

    def reply(self, table: schema.ReplyTable, index: int) -> ReplyRule:
        match = self.matcher(table, ("reply", index))
        return ReplyRule(match=match, send=self.nonempty(table.send, ("reply", index, "send")))

    def backoff(self, table: schema.BackoffTable) -> BackoffSpec:
        default = BackoffSpec()
        initial = self.seconds(table.initial, ("backoff", "initial"), default.initial)
        ceiling = self.seconds(table.max, ("backoff", "max"), default.max)
        stable = self.seconds(
            table.stable_after, ("backoff", "stable_after"), default.stable_after, zero=True
        )
        if initial > ceiling:
            note = ", the default" if table.max is None else ""
            self.report(
                ("backoff", "initial"),
                f"backoff.initial ({format_duration(initial)}) must not exceed "
                f"backoff.max ({format_duration(ceiling)}{note})",
                keyed=False,
            )
        return BackoffSpec(initial=initial, max=ceiling, stable_after=stable)

    def storm(self, table: schema.StormTable) -> StormSpec:
        default = StormSpec()
        return StormSpec(
            reconnects=self.at_least_one(
                table.reconnects, ("storm", "reconnects"), default.reconnects
            ),
            window=self.seconds(table.window, ("storm", "window"), default.window),
        )


def _location_template(table: schema.FeedTable, location: str) -> str:
    """Where the feed reads, as written (before ${VAR}): safe to display."""
    if table.transport in FED:
        return location
    if table.transport == "sql":
        return table.dsn or ""
    return table.url if table.url is not None else (table.path or "")


def _unusable_bundle(path: Path, err: OSError) -> str:
    """Why a CA bundle cannot be loaded, in words rather than OpenSSL's."""
    if isinstance(err, FileNotFoundError):
        return f"{path} does not exist"
    if isinstance(err, IsADirectoryError):
        return f"{path} is a directory"
    if isinstance(err, ssl.SSLError):
        if err.reason == "NO_CERTIFICATE_OR_CRL_FOUND":
            return f'{path} holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block)'
        reason = f" ({err.reason})" if err.reason else ""
        return f"{path} holds a damaged PEM certificate{reason}"
    return f"{path} cannot be read ({err.strerror or err})"


def _flatten(table: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """Nested tables in a json matcher are paths too: { data = { type = "hb" } } is data.type."""
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value:
            yield from _flatten(value, path)
        else:
            yield path, value


def _is_json_value(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_is_json_value(item) for item in value)
    if isinstance(value, dict):
        return all(_is_json_value(item) for item in value.values())
    return isinstance(value, str | int)


# Rules that read a message's content: a sql feed's rows have none.
_MESSAGE_RULES = ("heartbeat", "ignore", "event_time", "sequence", "value", "planned_close")

_SCHEMES = {
    "websocket": ("ws", "wss"),
    "sse": ("http", "https"),
    "http-poll": ("http", "https"),
}


def _url_problem(url: str, schemes: tuple[str, str] = ("ws", "wss")) -> tuple[str, str] | None:
    """What is wrong with a feed URL for its transport, and a hint; None when nothing is."""
    if any(char.isspace() for char in url):
        return "expected a URL without spaces", ""
    parts = urlsplit(url)
    plain, secure = schemes
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        if plain == "ws":
            hint = " (WebSocket URLs start with ws:// or wss://)"
            if scheme in ("http", "https"):
                hint = f" (for a WebSocket use {scheme.replace('http', 'ws')}://)"
        else:
            hint = (
                ' (set transport = "websocket" for ws:// URLs)' if scheme in ("ws", "wss") else ""
            )
        return f"expected a {plain}:// or {secure}:// URL", hint
    if not parts.hostname:
        return f"expected a {plain}:// or {secure}:// URL with a host", ""
    try:
        parts.port  # noqa: B018 - reading it checks the port
    except ValueError:
        return "expected a port number from 1 to 65535", ""
    return None
