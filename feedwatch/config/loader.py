"""Turn a TOML file into a ready-to-run Config, or explain every problem with it at once.

Reading happens in two passes. The shape pass (``shape``) walks the raw TOML against the structs
in ``schema`` and reports unknown keys (with suggestions), missing keys and wrong types, using
msgspec for the type checks. The meaning pass (``feed_reader``) then converts each well-shaped
feed: units, ``${VAR}`` expansion, matchers, and the checks that span several keys. This module
runs both and names each place a problem is found, the way the user would look for it.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from feedwatch.config import schema
from feedwatch.config.alerts_reader import read_alerts
from feedwatch.config.exposure import exposure_warning as file_exposure_warning
from feedwatch.config.feed_reader import FeedReader
from feedwatch.config.listen import EXPECTED_LISTEN, exposure_warning, parse_listen
from feedwatch.config.model import (
    AlertChannel,
    Config,
    FeedConfig,
    HistoryConfig,
    ServerConfig,
    UiConfig,
)
from feedwatch.config.presets import PRESETS, expand, unknown_preset
from feedwatch.config.problems import ConfigError, Problem, Segments
from feedwatch.config.secret_values import header_secrets, mask_urls, secret_forms, url_secrets
from feedwatch.config.shape import ShapeChecker
from feedwatch.config.syntax_errors import (
    nesting_problem,
    number_too_long_problem,
    syntax_problem,
)
from feedwatch.config.toml_text import dotted, toml_repr

__all__ = ["ConfigError", "Problem", "load_config", "parse_config"]

_FEEDS_HEADER = re.compile(r"\s*\[\[\s*feeds\s*\]\]\s*(#.*)?")
# Stand-ins for malformed required keys while the rest of a feed is checked; never returned.
_PLACEHOLDERS: dict[str, Any] = {"name": "?", "stale_after": 1}
# url is optional (file feeds have none), so it only stands in for a malformed one.
_URL_PLACEHOLDERS = {"sse": "http://placeholder", "http-poll": "http://placeholder"}
# A sql feed has no url; its own required keys stand in when malformed.
_SQL_PLACEHOLDERS = {"dsn": "sqlite:///placeholder", "query": "SELECT 1"}


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read the user's config file, so the engine only ever sees a checked Config."""
    summary = f"cannot read config {path}"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        reason = 'the file does not exist (run "feedwatch init" to write a commented starter)'
        raise ConfigError([Problem("", "", reason)], path, summary) from None
    except IsADirectoryError:
        raise ConfigError(
            [Problem("", "", "it is a directory, not a file")], path, summary
        ) from None
    except OSError as err:
        raise ConfigError([Problem("", "", err.strerror or str(err))], path, summary) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        reason = (
            f"the file is not UTF-8 text: byte 0x{data[err.start]:02x} at line {line}, "
            f"column {column} is not valid UTF-8 (save the file as UTF-8)"
        )
        raise ConfigError([Problem("", "", reason)], path, summary) from None
    config, raw = _parse(text, path, environ)
    warning = file_exposure_warning(path, _mode(path), raw)
    return replace(config, warnings=(*config.warnings, warning)) if warning else config


def parse_config(
    text: str, source: Path | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """Check TOML text as a config; the seam for tests and for configs that are not files."""
    return _parse(text, source, environ)[0]


def _mode(path: Path) -> int:
    """The file's permission bits; 0 where they say nothing (not POSIX, or gone meanwhile)."""
    if os.name != "posix":
        return 0
    try:
        return path.stat().st_mode
    except OSError:
        return 0


def _parse(
    text: str, source: Path | None, environ: Mapping[str, str] | None
) -> tuple[Config, dict[str, Any]]:
    """The checked Config, and the TOML as written (presets merged in) for later checks."""
    text = text.removeprefix("\ufeff")
    too_deep = nesting_problem(text)
    if too_deep is not None:
        summary = "invalid TOML" + (f" in {source}" if source else "")
        raise ConfigError([too_deep], source, summary)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        summary = "invalid TOML" + (f" in {source}" if source else "")
        raise ConfigError([syntax_problem(str(err), text)], source, summary) from None
    except ValueError:  # an integer too long for Python to convert
        summary = "invalid TOML" + (f" in {source}" if source else "")
        raise ConfigError([number_too_long_problem()], source, summary) from None
    except RecursionError:  # nesting the scan missed (it counts only brackets and braces)
        summary = "invalid TOML" + (f" in {source}" if source else "")
        reason = "values nested too deep to read; no setting needs that"
        raise ConfigError([Problem("", "", reason)], source, summary) from None
    environ = os.environ if environ is None else environ
    reader = _ConfigReader(raw, text, environ, source)
    feeds, server = reader.read()
    ui = reader.read_ui()
    alerts = reader.read_alerts()
    history = reader.read_history(source)
    if reader.problems:
        secrets = _written_secrets(reader.raw, text, environ)
        problems = [_masked(problem, secrets) for problem in reader.sorted_problems()]
        raise ConfigError(problems, source)
    exposed = exposure_warning(server.host, server.port, server.token) if server.port else None
    config = Config(
        feeds=feeds,
        server=server,
        source=source,
        ui=ui,
        alerts=alerts,
        history=history,
        warnings=(exposed,) if exposed else (),
    )
    return config, reader.raw


def _written_secrets(raw: dict[str, Any], text: str, environ: Mapping[str, str]) -> tuple[str, ...]:
    """Every secret the file holds or brings in from the environment, to mask in its errors."""
    found: list[str] = []
    for key in ("feeds", "alerts"):
        tables = raw.get(key)
        for table in tables if isinstance(tables, list) else ():
            if not isinstance(table, dict):
                continue
            url, public = table.get("url"), table.get("public_params")
            public = [p for p in public if isinstance(p, str)] if isinstance(public, list) else []
            if isinstance(url, str):
                found += url_secrets(url, public)
            headers = table.get("headers")
            if isinstance(headers, dict):
                pairs = [(str(k), v) for k, v in headers.items() if isinstance(v, str)]
                found += header_secrets(pairs)
    server = raw.get("server")
    if isinstance(server, dict) and isinstance(server.get("token"), str):
        found += secret_forms([server["token"]])
    names = {match[1] for match in _VARIABLE.finditer(text)}
    found += secret_forms(environ[name] for name in names if environ.get(name))
    # A ${VAR} reference as written is not a secret: only the value it stands for is.
    return tuple(dict.fromkeys(value for value in found if "${" not in value))


def _masked(problem: Problem, secrets: tuple[str, ...]) -> Problem:
    """A problem whose message quotes a value: no password or token may show in it."""
    return replace(problem, message=mask_urls(problem.message, secrets))


_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")

MIN_REFRESH_HZ = 0.5
MAX_REFRESH_HZ = 30.0


class _ConfigReader:
    """One parse: the raw TOML, how to name each place in it, and everything wrong with it."""

    def __init__(
        self, raw: dict[str, Any], text: str, environ: Mapping[str, str], source: Path | None
    ) -> None:
        self.raw = raw
        self.environ = environ
        self.base = source.parent if source is not None else None
        self.problems: list[tuple[Segments, Problem]] = []
        raw_feeds = raw.get("feeds")
        self.feeds: list[Any] = raw_feeds if isinstance(raw_feeds, list) else []
        lines = [n for n, line in enumerate(text.splitlines(), 1) if _FEEDS_HEADER.fullmatch(line)]
        self.header_lines = lines if len(lines) == len(self.feeds) else []
        self.name_counts = Counter(_feed_name(feed) for feed in self.feeds)
        self.shape = ShapeChecker(self.report)

    def read(self) -> tuple[tuple[FeedConfig, ...], ServerConfig]:
        self.apply_presets()
        self.shape.check_table(self.raw, schema.ConfigFile, ())
        feeds: list[FeedConfig] = []
        for index, raw_feed in enumerate(self.feeds):
            if isinstance(raw_feed, dict):
                feed = self.read_feed(raw_feed, ("feeds", index))
                feeds += [feed] if feed is not None else []
        self.check_unique_names()
        if not self.feeds and not self.has_problems(("feeds",)):
            self.report(
                (),
                "no feeds configured: feedwatch only watches feeds listed in [[feeds]] tables; "
                "add one with at least name, url and stale_after "
                '("feedwatch init" writes a commented example)',
            )
        server = self.read_server()
        self.check_push_server(server)
        return tuple(feeds), server

    def check_push_server(self, server: ServerConfig) -> None:
        """Push check-ins arrive at the HTTP server: a push feed without one never hears any."""
        if server.enabled or self.has_problems(("server",)):
            return
        for index, raw in enumerate(self.feeds):
            if isinstance(raw, dict) and raw.get("transport") == "push":
                self.report(
                    ("feeds", index, "transport"),
                    '"push" needs the HTTP server its check-ins arrive at: add [server] '
                    'with listen = "127.0.0.1:9200" (they go to POST /v1/push/<feed>)',
                )

    def apply_presets(self) -> None:
        """Merge each feed's preset keys under its own, so both are checked the same way."""
        for index, raw in enumerate(self.feeds):
            if isinstance(raw, dict):
                self.feeds[index] = self.preset_feed(raw, ("feeds", index))
        if self.feeds:
            self.raw = {**self.raw, "feeds": self.feeds}

    def preset_feed(self, raw: dict[str, Any], at: Segments) -> dict[str, Any]:
        name, symbols = raw.get("preset"), raw.get("symbols")
        if name is None:
            if symbols is not None:
                self.report((*at, "symbols"), "has no effect without preset")
            return raw
        if not isinstance(name, str):
            return raw  # the shape pass reports the type
        preset = PRESETS.get(name)
        if preset is None:
            self.report((*at, "preset"), unknown_preset(name))
            return raw
        if symbols is None:
            example = ", ".join(f'"{symbol}"' for symbol in preset.example_symbols)
            self.report((*at, "symbols"), f"required with preset {name!r}, like [{example}]")
            return raw
        if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
            return raw  # the shape pass reports the type
        if not symbols or not all(symbol.strip() for symbol in symbols):
            self.report((*at, "symbols"), "expected at least one symbol, none of them empty")
            return raw
        return expand(preset, symbols, raw)

    def read_feed(self, raw: dict[str, Any], at: Segments) -> FeedConfig | None:
        """Check a feed's meaning even when some keys are malformed, so one pass finds it all."""
        malformed = {place[2] for place, _ in self.problems if place[:2] == at and len(place) > 2}
        usable = {key: value for key, value in raw.items() if key not in malformed}
        for key, placeholder in _PLACEHOLDERS.items():
            usable.setdefault(key, placeholder)
        transport = str(raw.get("transport"))
        if transport == "sql":
            for key, placeholder in _SQL_PLACEHOLDERS.items():
                if key in malformed:
                    usable[key] = placeholder
        elif "url" in malformed or (
            malformed and "url" not in raw and transport not in ("file", "push", "in-process")
        ):
            usable["url"] = _URL_PLACEHOLDERS.get(transport, "ws://placeholder")
        table = self.shape.convert(usable, schema.FeedTable, at)
        reader = FeedReader(self.report, self.environ, at, self.base)
        feed = reader.read(table) if table is not None else None
        return None if malformed else feed

    def read_server(self) -> ServerConfig:
        raw = self.raw.get("server")
        if not isinstance(raw, dict) or self.has_problems(("server",)):
            return ServerConfig()
        table = self.shape.convert(raw, schema.ServerTable, ("server",))
        if table is None:
            return ServerConfig()
        token = None
        if table.token is not None:
            token = FeedReader(self.report, self.environ, ("server",)).expand(
                table.token, ("token",)
            )
            if not token.strip():
                self.report(("server", "token"), "an empty token would let anyone in; remove it")
        if table.listen is None:
            return ServerConfig(token=token)
        try:
            host, port = parse_listen(table.listen)
        except ValueError as err:
            found = toml_repr(table.listen)
            self.report(("server", "listen"), f"expected {EXPECTED_LISTEN}, found {found} ({err})")
            return ServerConfig()
        return ServerConfig(host=host, port=port, token=token)

    def read_alerts(self) -> tuple[AlertChannel, ...]:
        raw = self.raw.get("alerts")
        if not isinstance(raw, list) or self.has_problems(("alerts",)):
            return ()
        tables = []
        for index, item in enumerate(raw):
            if not isinstance(item, dict):
                continue
            table = self.shape.convert(item, schema.AlertTable, ("alerts", index))
            if table is not None:
                tables.append(table)
        return read_alerts(tables, self.report, self.environ)

    def read_history(self, source: Path | None) -> HistoryConfig:
        raw = self.raw.get("history")
        if not isinstance(raw, dict) or self.has_problems(("history",)):
            return HistoryConfig()
        table = self.shape.convert(raw, schema.HistoryTable, ("history",))
        if table is None:
            return HistoryConfig()
        path = None
        if table.path is not None:
            expanded = FeedReader(self.report, self.environ, ("history",)).expand(
                table.path, ("path",)
            )
            path = Path(expanded).expanduser()
            if not path.is_absolute() and source is not None:
                path = source.parent / path  # relative to the config file, not the cwd
        days = HistoryConfig().retention_days
        if table.retention is not None:
            seconds = FeedReader(self.report, self.environ, ("history",)).seconds(
                table.retention, ("retention",)
            )
            days = seconds / 86400
        return HistoryConfig(enabled=table.enabled, path=path, retention_days=days)

    def read_ui(self) -> UiConfig:
        raw = self.raw.get("ui")
        if not isinstance(raw, dict) or self.has_problems(("ui",)):
            return UiConfig()
        table = self.shape.convert(raw, schema.UiTable, ("ui",))
        if table is None:
            return UiConfig()
        ui = UiConfig(mouse=table.mouse, low_bandwidth=table.low_bandwidth)
        if table.refresh_hz is None:
            return ui
        if not MIN_REFRESH_HZ <= table.refresh_hz <= MAX_REFRESH_HZ:
            self.report(
                ("ui", "refresh_hz"),
                f"expected a refresh rate from {MIN_REFRESH_HZ:g} to {MAX_REFRESH_HZ:g} "
                f"times a second, found {toml_repr(table.refresh_hz)}",
            )
            return ui
        return replace(ui, refresh_hz=float(table.refresh_hz))

    def check_unique_names(self) -> None:
        seen: dict[str, int] = {}
        for index, feed in enumerate(self.feeds):
            name = _feed_name(feed)
            if name is None:
                continue
            if name in seen:
                first, second = self.position(seen[name]), self.position(index)
                self.report(
                    ("feeds", index),
                    f"{first} and {second} are both named {json.dumps(name, ensure_ascii=False)}; "
                    "feed names must be unique",
                    keyed=False,
                    where="",
                )
            else:
                seen[name] = index

    # -- naming places -------------------------------------------------------------------------

    def position(self, index: int, *, within: str = "") -> str:
        """Name a feed by position: feeds[2] (line 14), or feed "x" (feeds[2], line 14)."""
        line = f"line {self.header_lines[index]}" if self.header_lines else ""
        if within:
            return f"{within} ({', '.join(filter(None, (f'feeds[{index}]', line)))})"
        return f"feeds[{index}]" + (f" ({line})" if line else "")

    def locate(self, at: Segments) -> tuple[str, str]:
        """Name a place for a person: the feed by its name when it has one, then the key."""
        if len(at) >= 2 and at[0] == "feeds" and isinstance(at[1], int):
            name = _feed_name(self.feeds[at[1]]) if at[1] < len(self.feeds) else None
            if name is None:
                return self.position(at[1]), dotted(at[2:])
            label = f"feed {json.dumps(name, ensure_ascii=False)}"
            if self.name_counts[name] > 1:
                label = self.position(at[1], within=label)
            return label, dotted(at[2:])
        if at[:1] in (("server",), ("ui",), ("history",)):
            return f"[{at[0]}]", dotted(at[1:])
        if len(at) >= 2 and at[0] == "alerts" and isinstance(at[1], int):
            return f"alerts[{at[1]}]", dotted(at[2:])
        return "", dotted(at)

    def report(
        self, at: Segments, message: str, *, keyed: bool = True, where: str | None = None
    ) -> None:
        located, key = self.locate(at)
        problem = Problem(located if where is None else where, key if keyed else "", message)
        self.problems.append((at, problem))

    def has_problems(self, at: Segments) -> bool:
        return any(place[: len(at)] == at for place, _ in self.problems)

    def sorted_problems(self) -> list[Problem]:
        """Top level, then [server], then each feed, each in the order its keys are written."""

        def order(place: Segments) -> tuple[int, int]:
            if len(place) >= 2 and place[0] == "feeds" and isinstance(place[1], int):
                return 2 + place[1], _rank(self.feeds[place[1]], place[2:])
            if place[:1] == ("server",):
                return 1, _rank(self.raw.get("server"), place[1:])
            return 0, _rank(self.raw, place)

        return [problem for _, problem in sorted(self.problems, key=lambda p: order(p[0]))]


def _feed_name(feed: Any) -> str | None:
    """A feed's name if it has a usable one, to call it by in messages."""
    name = feed.get("name") if isinstance(feed, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def _rank(table: Any, place: Segments) -> int:
    """Where a key is written in its table, so problems read top to bottom like the file."""
    keys = list(table) if isinstance(table, dict) else []
    return keys.index(place[0]) if place and place[0] in keys else len(keys)
