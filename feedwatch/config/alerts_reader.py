"""Reading [[alerts]] tables: where alerts go, for which conditions and which feeds."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from urllib.parse import urlsplit

from feedwatch.config import schema
from feedwatch.config.feed_reader import FeedReader
from feedwatch.config.model import (
    ALERT_CONDITIONS,
    ALERT_TYPES,
    WEBHOOK_FORMATS,
    AlertChannel,
)
from feedwatch.config.problems import Report
from feedwatch.config.toml_text import toml_repr

MAX_RETRIES = 10


def _choices(values: tuple[str, ...]) -> str:
    return ", ".join(f'"{v}"' for v in values)


def _suggest(value: str, values: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(value, values, n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def read_alerts(
    tables: list[schema.AlertTable], report: Report, environ: Mapping[str, str]
) -> tuple[AlertChannel, ...]:
    """Every [[alerts]] table, with names that are unique (they label metrics)."""
    channels: list[AlertChannel] = []
    counts: dict[str, int] = {}
    for table in tables:
        counts[table.type] = counts.get(table.type, 0) + 1
    seen: dict[str, int] = {}
    for index, table in enumerate(tables):
        channel = _read_one(table, index, report, environ, counts)
        if channel is None:
            continue
        if channel.name in seen:
            report(
                ("alerts", index, "name"),
                f'alerts[{seen[channel.name]}] is already named "{channel.name}"; '
                "give each [[alerts]] table its own name",
            )
            continue
        seen[channel.name] = index
        channels.append(channel)
    return tuple(channels)


def _read_one(
    table: schema.AlertTable,
    index: int,
    report: Report,
    environ: Mapping[str, str],
    counts: dict[str, int],
) -> AlertChannel | None:
    at = ("alerts", index)
    values = FeedReader(report, environ, at)  # durations, ${VAR} and headers work the same
    kind = table.type
    if kind not in ALERT_TYPES:
        values.report(
            ("type",),
            f"expected one of {_choices(ALERT_TYPES)}, found {toml_repr(kind)}"
            + _suggest(kind, ALERT_TYPES),
        )
        return None
    on = frozenset(ALERT_CONDITIONS)
    if table.on is not None:
        unknown = [c for c in table.on if c not in ALERT_CONDITIONS]
        for condition in unknown:
            values.report(
                ("on",),
                f"unknown condition {toml_repr(condition)}; expected some of "
                f"{_choices(ALERT_CONDITIONS)}" + _suggest(condition, ALERT_CONDITIONS),
            )
        if not table.on:
            values.report(("on",), "an empty list would never alert; remove the key for all")
        on = frozenset(table.on)
    url = template = None
    fmt = table.format or "json"
    if kind == "webhook":
        if table.url is None:
            values.report(("url",), "a webhook needs a url (the address to POST alerts to)")
        else:
            template = table.url
            url = values.expand(table.url, ("url",))
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
                values.report(
                    ("url",), f"expected an http:// or https:// URL, found {toml_repr(template)}"
                )
        if fmt not in WEBHOOK_FORMATS:
            values.report(
                ("format",),
                f"expected one of {_choices(WEBHOOK_FORMATS)}, found {toml_repr(fmt)}"
                + _suggest(fmt, WEBHOOK_FORMATS),
            )
    else:
        for key, value in (("url", table.url), ("format", table.format)):
            if value is not None:
                values.report((key,), f'only a webhook has a {key}; this alert is type "{kind}"')
    argv: tuple[str, ...] = ()
    if kind == "command":
        if not table.argv or not table.argv[0].strip():
            values.report(("argv",), 'a command needs argv, e.g. ["/usr/local/bin/page-me"]')
        else:
            argv = tuple(table.argv)
    elif table.argv is not None:
        values.report(("argv",), f'only a command has argv; this alert is type "{kind}"')
    retries = 3 if table.retries is None else table.retries
    if not 0 <= retries <= MAX_RETRIES:
        values.report(("retries",), f"expected 0 to {MAX_RETRIES}, found {retries}")
    headers = tuple((name, values.header(name, value)) for name, value in table.headers.items())
    name = table.name or (kind if counts[kind] == 1 else f"{kind}-{index + 1}")
    channel = AlertChannel(
        type=kind,
        name=name,
        on=on,
        feeds=tuple(table.feeds) if table.feeds else ("*",),
        url=url,
        url_template=template,
        format=fmt,
        headers=headers,
        argv=argv,
        timeout=values.seconds(table.timeout, ("timeout",), 10.0),
        retries=retries,
        repeat=None if table.repeat is None else values.seconds(table.repeat, ("repeat",)),
        secrets=tuple(dict.fromkeys(values.secrets)),
    )
    return None if values.problems else channel
