"""Timestamps as exchanges write them in their messages."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(ms: int) -> str:
    """An RFC 3339 UTC time with microseconds and a Z (Coinbase, Kraken v2)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
