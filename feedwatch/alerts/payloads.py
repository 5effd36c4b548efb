"""The shapes an alert takes on the wire: JSON, Slack, Discord, ntfy, and a command's env."""

from __future__ import annotations

import json
import socket
from email.header import Header
from typing import Any

from feedwatch import __version__
from feedwatch.alerts.alert import Alert

HOST = socket.gethostname()
USER_AGENT = f"feedwatch/{__version__}"
DISCORD_LIMIT = 2000  # characters in a Discord message's content


def json_payload(alert: Alert, alert_channel: str) -> dict[str, Any]:
    """The `json` format, also written to a command's stdin; field names are a contract."""
    return {
        "feed": alert.feed,
        "channel": alert.channel,
        "condition": alert.condition,
        "state": alert.state,
        "message": alert.message,
        "ts": round(alert.ts, 3),
        "last_signal_age_seconds": alert.last_signal_age_seconds,
        "active": alert.active,
        "reminder": alert.reminder,
        "recovered_from": alert.recovered_from,
        "duration_seconds": alert.duration_seconds,
        "alert_channel": alert_channel,
        "host": HOST,
    }


def _icon(alert: Alert) -> str:
    return "\N{WHITE HEAVY CHECK MARK}" if not alert.active else "\N{POLICE CARS REVOLVING LIGHT}"


def slack_payload(alert: Alert) -> dict[str, Any]:
    """A Slack incoming-webhook message."""
    return {"text": f"{_icon(alert)} {alert.message}"}


def discord_payload(alert: Alert) -> dict[str, Any]:
    """A Discord webhook message (content is capped at 2000 characters)."""
    return {"content": f"{_icon(alert)} {alert.message}"[:DISCORD_LIMIT]}


def _header_text(text: str) -> str:
    # HTTP headers are latin-1 at best; ntfy decodes RFC 2047 words for the rest.
    return text if text.isascii() else Header(text, "utf-8").encode()


def ntfy_headers(alert: Alert) -> dict[str, str]:
    """ntfy's publishing headers: the body is the message as plain text."""
    what = alert.recovered_from if alert.recovered_from else alert.condition
    where = alert.feed if alert.channel is None else f"{alert.feed}/{alert.channel}"
    title = f"feedwatch: {where} {'recovered' if not alert.active else what}"
    tags = ["white_check_mark" if not alert.active else "rotating_light", what]
    return {
        "Title": _header_text(title),
        "Priority": "urgent" if alert.active else "default",
        "Tags": ",".join(tags),
    }


def webhook_request(alert: Alert, alert_channel: str, fmt: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers to POST for one alert in one format."""
    if fmt == "ntfy":
        headers = {"Content-Type": "text/plain; charset=utf-8", **ntfy_headers(alert)}
        return alert.message.encode(), headers
    body: dict[str, Any]
    if fmt == "slack":
        body = slack_payload(alert)
    elif fmt == "discord":
        body = discord_payload(alert)
    else:
        body = json_payload(alert, alert_channel)
    return json.dumps(body).encode(), {"Content-Type": "application/json"}


def command_env(alert: Alert, alert_channel: str) -> dict[str, str]:
    """The alert as FEEDWATCH_* environment variables (empty string when unknown)."""
    age = alert.last_signal_age_seconds
    return {
        "FEEDWATCH_FEED": alert.feed,
        "FEEDWATCH_CHANNEL": alert.channel or "",
        "FEEDWATCH_CONDITION": alert.condition,
        "FEEDWATCH_STATE": alert.state,
        "FEEDWATCH_MESSAGE": alert.message,
        "FEEDWATCH_TS": f"{alert.ts:.3f}",
        "FEEDWATCH_AGE_SECONDS": "" if age is None else f"{age:g}",
        "FEEDWATCH_ACTIVE": "1" if alert.active else "0",
        "FEEDWATCH_REMINDER": "1" if alert.reminder else "0",
        "FEEDWATCH_RECOVERED_FROM": alert.recovered_from or "",
        "FEEDWATCH_ALERT_CHANNEL": alert_channel,
    }
