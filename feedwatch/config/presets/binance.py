"""Binance combined streams: every symbol's stream on one connection, named by "stream".

Followed: https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams and
https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams
Confirmed there: combined streams at /stream?streams=a/b wrap each event as
{"stream": "<name>", "data": <payload>}; stream names are lowercase; a connection lives at most
24 hours; the server sends protocol ping frames (answered by the WebSocket library, so no app
ping is needed); spot sends a "serverShutdown" event before it disconnects.
Not confirmed: the exact serverShutdown message (the matcher only looks for its name), and
whether USD-M futures sends serverShutdown at all (the rule is kept: it can only match it).

What event_time and sequence cover: event_time is data.E, which trade, aggTrade and depth
events carry; spot bookTicker events carry no E (so a bookTicker stream added by hand gets no
lag figure). The trade presets set sequence only with one symbol (trade ids interleave across
symbols). Depth streams have their own presets, so a preset always knows its streams are all
depth streams: spot diff depth carries the range U..u (each event's U is the previous u + 1),
USD-M futures carries pu, the previous event's u; both are checked per stream (channel).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SPOT_DOCS = "https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams"
FUTURES_DOCS = (
    "https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams"
)
SPOT_URL = "wss://stream.binance.com:9443/stream?streams="
FUTURES_URL = "wss://fstream.binance.com/stream?streams="
PLANNED_CLOSE = {"contains": "serverShutdown"}
# A subscription acknowledgement, should anyone add a SUBSCRIBE message.
ACK = {"contains": '"result":null'}


# Diff depth: spot events cover update ids U..u; futures events name the previous event's u.
SPOT_DEPTH_SEQUENCE = {"first": "data.U", "last": "data.u"}
FUTURES_DEPTH_SEQUENCE = {"prev": "data.pu", "id": "data.u"}
DEPTH = "depth@100ms"


def _combined(url: str, event: str, symbols: Sequence[str]) -> dict[str, Any]:
    streams = [f"{symbol.lower()}@{event}" for symbol in symbols]
    keys: dict[str, Any] = {
        "url": url + "/".join(streams),
        # The stream names are no secret; shown as written, and never masked in channel names.
        "public_params": ["streams"],
        "channel_key": "stream",
        "channels": streams,
        "event_time": "data.E",
        "event_time_unit": "ms",
        "ignore": dict(ACK),
        "planned_close": dict(PLANNED_CLOSE),
    }
    if len(streams) == 1 and event in ("trade", "aggTrade"):
        # Trade ids grow by one per symbol; across symbols they interleave, so one only.
        keys["sequence"] = "data.t" if event == "trade" else "data.a"
    return keys


def spot(symbols: Sequence[str]) -> dict[str, Any]:
    """Spot trades ("<symbol>@trade"): event time data.E in ms, trade id data.t."""
    return _combined(SPOT_URL, "trade", symbols)


def futures(symbols: Sequence[str]) -> dict[str, Any]:
    """USD-M aggregate trades ("<symbol>@aggTrade"): event time data.E, aggregate id data.a."""
    return _combined(FUTURES_URL, "aggTrade", symbols)


def spot_depth(symbols: Sequence[str]) -> dict[str, Any]:
    """Spot diff depth ("<symbol>@depth@100ms"): event time data.E, update ids U..u."""
    return _combined(SPOT_URL, DEPTH, symbols) | {"sequence": dict(SPOT_DEPTH_SEQUENCE)}


def futures_depth(symbols: Sequence[str]) -> dict[str, Any]:
    """USD-M diff depth ("<symbol>@depth@100ms"): event time data.E, pu names the last u."""
    return _combined(FUTURES_URL, DEPTH, symbols) | {"sequence": dict(FUTURES_DEPTH_SEQUENCE)}
