"""Writes the recorded sessions in this folder: `python -m tests.recordings.make`.

Each session follows one exchange's public API documentation for its message shapes (the
preset modules name the pages), with the timing of a real session compressed to seconds:

- a session-start delay: acks at 50-150 ms, the first data about 300 ms after subscribing;
- where the exchange does it (Bitfinex), a snapshot about 1 s after the "subscribed" ack;
- a busy channel (a message every 50-100 ms) beside a quiet one (every 350 ms);
- from STALL_AT on, data stops and heartbeats keep coming until END, so a stall with a
  live socket is what the tail of every session shows.

Times in the texts are placeholders ($MS, $S, $ISO) filled in when played (tests/rigs/replay.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIRST_DATA = 0.3
STALL_AT = 2.0  # no data after this
END = 3.6  # heartbeats until this
BUSY, QUIET, BEAT = 0.05, 0.35, 0.25

Row = dict[str, Any]
Text = Callable[[str, int], str]  # (channel, n) -> message text


def js(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def ticks(start: float, stop: float, step: float) -> Iterator[float]:
    n = 0
    while start + n * step < stop - 1e-9:
        yield round(start + n * step, 3)
        n += 1


def channel(name: str, text: Text, kind: str, first: float, every: float) -> list[Row]:
    """One channel's data from `first` to STALL_AT."""
    return [
        {"t": t, "text": text(name, n), "kind": kind, "data": True}
        for n, t in enumerate(ticks(first, STALL_AT, every), 1)
    ]


def data(
    busy: str,
    quiet: str,
    text: Text,
    kind: str = "trade",
    *,
    step: float = BUSY,
    quiet_from: float = FIRST_DATA + 0.1,
    start: float = FIRST_DATA,
) -> list[Row]:
    """A busy channel and a quiet one, both stopping at STALL_AT."""
    return channel(busy, text, kind, start, step) + channel(quiet, text, kind, quiet_from, QUIET)


def beats(
    texts: list[str],
    kind: str = "heartbeat",
    start: float = 0.2,
    every: float = BEAT,
    end: float = END,
) -> list[Row]:
    """Heartbeats from the start to `end`, through the stall."""
    return [
        {"t": t, "text": text, "kind": kind} for t in ticks(start, end, every) for text in texts
    ]


def reply(*texts: str, t: float = 0.05, gap: float = 0.05) -> list[Row]:
    return [{"t": round(t + i * gap, 3), "text": text} for i, text in enumerate(texts)]


def write(name: str, rows: list[Row]) -> None:
    timed = sorted((r for r in rows if "t" in r and "text" in r), key=lambda r: r["t"])
    other = [r for r in rows if not ("t" in r and "text" in r)]
    lines = [js(r) for r in (*other, *timed)]
    assert len(lines) < 300, name
    (HERE / f"{name}.jsonl").write_text("\n".join(lines) + "\n")


# -- Binance: streams named in the URL, no subscribe, no app heartbeats ----------------------


def binance() -> None:
    def trade(stream: str, n: int) -> str:
        symbol = stream.partition("@")[0].upper()
        return js(
            {
                "stream": stream,
                "data": {
                    "e": "trade",
                    "E": "$MS",
                    "s": symbol,
                    "t": 4100000 + n,
                    "p": "64000.10",
                    "q": "0.01200",
                    "T": "$MS",
                    "m": n % 2 == 0,
                    "M": True,
                },
            }
        ).replace('"$MS"', "$MS")

    def agg(stream: str, n: int) -> str:
        symbol = stream.partition("@")[0].upper()
        return js(
            {
                "stream": stream,
                "data": {
                    "e": "aggTrade",
                    "E": "$MS",
                    "a": 26129 + n,
                    "s": symbol,
                    "p": "64000.1",
                    "q": "0.012",
                    "f": 100 + 2 * n,
                    "l": 101 + 2 * n,
                    "T": "$MS",
                    "m": True,
                },
            }
        ).replace('"$MS"', "$MS")

    def depth(futures: bool) -> Text:
        def text(stream: str, n: int) -> str:
            symbol = stream.partition("@")[0].upper()
            first, last = 157 + 4 * (n - 1), 160 + 4 * (n - 1)
            body: dict[str, Any] = {"e": "depthUpdate", "E": "$MS"}
            if futures:
                body["T"] = "$MS"
            body.update({"s": symbol, "U": first, "u": last})
            if futures:
                body["pu"] = first - 1 if n > 1 else 150
            body.update({"b": [["64000.10", "0.512"]], "a": [["64000.20", "0.000"]]})
            return js({"stream": stream, "data": body}).replace('"$MS"', "$MS")

        return text

    start = [{"start": "connect"}]
    write("binance-spot", start + data("btcusdt@trade", "ethusdt@trade", trade))
    write("binance-futures", start + data("btcusdt@aggTrade", "ethusdt@aggTrade", agg))
    for name, futures in (("binance-spot-depth", False), ("binance-futures-depth", True)):
        rows = data("btcusdt@depth@100ms", "ethusdt@depth@100ms", depth(futures), "depth", step=0.1)
        write(name, start + rows)


# -- Bybit v5 and OKX v5: acks, then data; their only heartbeats answer the client's ping ----


def bybit() -> None:
    ack = js(
        {
            "success": True,
            "ret_msg": "",
            "conn_id": "cjc3tc0qo29c4ak3plgg",
            "req_id": "",
            "op": "subscribe",
        }
    )
    pong = js(
        {
            "success": True,
            "ret_msg": "pong",
            "conn_id": "cjc3tc0qo29c4ak3plgg",
            "req_id": "",
            "op": "ping",
        }
    )

    def trade(topic: str, n: int) -> str:
        fill = {
            "T": "$MS",
            "s": topic.partition(".")[2],
            "S": "Buy",
            "v": "0.001",
            "p": "64000.10",
            "L": "PlusTick",
            "i": f"2290000000{n:06d}",
            "BT": False,
        }
        message = {"topic": topic, "type": "snapshot", "ts": "$MS", "data": [fill]}
        return js(message).replace('"$MS"', "$MS")

    rows: list[Row] = [
        {"on": '"op":"ping"', "reply": reply(pong, t=0.01), "keepalive": True},
        {"on": '"op":"subscribe"', "reply": reply(ack)},
    ]
    write("bybit", rows + data("publicTrade.BTCUSDT", "publicTrade.ETHUSDT", trade))


def okx() -> None:
    def ack(inst: str) -> str:
        return js(
            {
                "event": "subscribe",
                "arg": {"channel": "trades", "instId": inst},
                "connId": "a4d3ae55",
            }
        )

    def trade(inst: str, n: int) -> str:
        fill = {
            "instId": inst,
            "tradeId": str(130639474 + n),
            "px": "64000.1",
            "sz": "0.0120",
            "side": "buy",
            "ts": "$MS",
            "count": "1",
        }
        return js({"arg": {"channel": "trades", "instId": inst}, "data": [fill]})

    rows: list[Row] = [
        {"on": '"op":"subscribe"', "reply": reply(ack("BTC-USDT"), ack("ETH-USDT"))},
        {"on": "ping", "reply": reply("pong", t=0.01), "keepalive": True},
    ]
    write("okx", rows + data("BTC-USDT", "ETH-USDT", trade))


# -- Coinbase: Exchange (ticker + heartbeat) and Advanced Trade (market_trades) --------------


def coinbase() -> None:
    products = ["BTC-USD", "ETH-USD"]
    listed = [{"name": name, "product_ids": products} for name in ("heartbeat", "ticker")]
    subscriptions = js({"type": "subscriptions", "channels": listed})

    def ticker(product: str, n: int) -> str:
        return js(
            {
                "type": "ticker",
                "sequence": 37475248783 + 7 * n,
                "product_id": product,
                "price": "64000.10",
                "open_24h": "63800.00",
                "volume_24h": "12345.67",
                "low_24h": "63000.00",
                "high_24h": "64500.00",
                "volume_30d": "412345.67",
                "best_bid": "64000.09",
                "best_bid_size": "0.25",
                "best_ask": "64000.10",
                "best_ask_size": "0.10",
                "side": "buy",
                "time": "$ISO",
                "trade_id": 59000000 + n,
                "last_size": "0.00243",
            }
        )

    def heartbeat(product: str) -> str:
        return js(
            {
                "type": "heartbeat",
                "sequence": 90,
                "last_trade_id": 20,
                "product_id": product,
                "time": "$ISO",
            }
        )

    rows: list[Row] = [{"on": '"type":"subscribe"', "reply": reply(subscriptions)}]
    rows += data("BTC-USD", "ETH-USD", ticker, "ticker")
    rows += beats([heartbeat(p) for p in products])
    write("coinbase", rows)

    counter = iter(range(1, 10_000))

    def envelope(channel: str, events: list[Any]) -> str:
        return js(
            {
                "channel": channel,
                "client_id": "",
                "timestamp": "$ISO",
                "sequence_num": next(counter),
                "events": events,
            }
        )

    def trade(kind: str) -> Text:
        def text(product: str, n: int) -> str:
            fill = {
                "trade_id": str(57240000 + n),
                "product_id": product,
                "price": "64000.1",
                "size": "0.003",
                "side": "BUY",
                "time": "$ISO",
            }
            return envelope("market_trades", [{"type": kind, "trades": [fill]}])

        return text

    def subscribed(channel: str) -> str:
        return js(
            {
                "channel": "subscriptions",
                "client_id": "",
                "timestamp": "$ISO",
                "sequence_num": 0,
                "events": [{"subscriptions": {channel: products}}],
            }
        )

    rows = [
        {"on": '"channel":"market_trades"', "reply": reply(subscribed("market_trades"))},
        {"on": '"channel":"heartbeats"', "reply": reply(subscribed("heartbeats"))},
    ]
    snapshot = trade("snapshot")
    rows += [{"t": 0.2, "text": snapshot(p, 0), "kind": "snapshot", "data": True} for p in products]
    rows += data("BTC-USD", "ETH-USD", trade("update"))
    beat = {
        "current_time": "2026-12-02 17:00:00.121961769 +0000 UTC m=+91717.525857105",
        "heartbeat_counter": "3049",
    }
    rows += beats([envelope("heartbeats", [beat])])
    write("coinbase-advanced", rows)


# -- Kraken v2 (objects) and v1 (arrays) -------------------------------------------------------


def kraken() -> None:
    status = js(
        {
            "channel": "status",
            "type": "update",
            "data": [
                {
                    "version": "2.0.9",
                    "system": "online",
                    "api_version": "v2",
                    "connection_id": 12393906104898154338,
                }
            ],
        }
    )

    def ack(symbol: str) -> str:
        return js(
            {
                "method": "subscribe",
                "result": {"channel": "trade", "snapshot": False, "symbol": symbol},
                "success": True,
                "time_in": "$ISO",
                "time_out": "$ISO",
            }
        )

    def trade(symbol: str, n: int) -> str:
        fill = {
            "symbol": symbol,
            "side": "buy",
            "price": 64000.1,
            "qty": 0.0012,
            "ord_type": "market",
            "trade_id": 74000000 + n,
            "timestamp": "$ISO",
        }
        return js({"channel": "trade", "type": "update", "data": [fill]})

    pong = '{"method":"pong","req_id":$ID,"time_in":"$ISO","time_out":"$ISO"}'
    rows: list[Row] = [
        {"greet": status, "t": 0.02},
        {"on": '"method":"ping"', "reply": reply(pong, t=0.01), "keepalive": True},
        {"on": '"method":"subscribe"', "reply": reply(ack("BTC/USD"), ack("ETH/USD"))},
    ]
    rows += data("BTC/USD", "ETH/USD", trade) + beats([js({"channel": "heartbeat"})])
    write("kraken-v2", rows)

    channel_ids = {"XBT/USD": 337, "ETH/USD": 340}
    books = {"XBT/USD": 336, "ETH/USD": 339}
    system = js(
        {
            "connectionID": 8628615390848610000,
            "event": "systemStatus",
            "status": "online",
            "version": "1.9.1",
        }
    )

    def status_of(pair: str, name: str, ids: dict[str, int]) -> str:
        subscription: dict[str, Any] = {"name": name}
        if name == "book":
            subscription["depth"] = 10
        return js(
            {
                "channelID": ids[pair],
                "channelName": name if name == "trade" else "book-10",
                "event": "subscriptionStatus",
                "pair": pair,
                "status": "subscribed",
                "subscription": subscription,
            }
        )

    def v1_trade(pair: str, n: int) -> str:
        fill = ["64000.10000", "0.00120000", "$S", "b" if n % 2 else "s", "m", ""]
        return js([channel_ids[pair], [fill], "trade", pair])

    def v1_book(pair: str, n: int) -> str:
        ask = ["64000.20000", "0.50000000", "$S"]
        bid = ["64000.00000", "1.25000000", "$S"]
        if n == 1:
            return js([books[pair], {"as": [ask], "bs": [bid]}, "book-10", pair])
        if n % 2:  # asks and bids changed together: five elements
            return js([books[pair], {"a": [ask]}, {"b": [bid]}, "book-10", pair])
        return js([books[pair], {"b": [bid]}, "book-10", pair])

    pairs = list(channel_ids)
    common: list[Row] = [
        {"greet": system, "t": 0.02},
        {
            "on": '"event":"ping"',
            "reply": reply('{"event":"pong","reqid":$ID}', t=0.01),
            "keepalive": True,
        },
    ]
    trade_acks = reply(*(status_of(p, "trade", channel_ids) for p in pairs))
    heartbeat = beats([js({"event": "heartbeat"})])
    rows = [*common, {"on": '"name":"trade"', "reply": trade_acks}]
    write("kraken", rows + data(*pairs, v1_trade) + heartbeat)
    book_acks = reply(*(status_of(p, "book", books) for p in pairs))
    rows += [{"on": '"name":"book"', "reply": book_acks}]
    rows += data(*pairs, v1_trade) + data(*reversed(pairs), v1_book, "book", step=0.1)
    write("kraken-book", rows + heartbeat)


# -- Deribit: JSON-RPC results, heartbeats and test_requests ---------------------------------


def deribit() -> None:
    def result(value: object) -> str:
        text = js(
            {
                "jsonrpc": "2.0",
                "id": "$ID",
                "result": value,
                "usIn": 1535043730126248,
                "usOut": 1535043730126250,
                "usDiff": 2,
                "testnet": False,
            }
        )
        return text.replace('"$ID"', "$ID")

    def subscription(channel: str, payload: object) -> str:
        message = {
            "jsonrpc": "2.0",
            "method": "subscription",
            "params": {"channel": channel, "data": payload},
        }
        return js(message).replace('"$MS"', "$MS")

    def trade(channel: str, n: int) -> str:
        instrument = channel.split(".")[1]
        return subscription(
            channel,
            [
                {
                    "trade_seq": 30289 + n,
                    "trade_id": str(48079269 + n),
                    "timestamp": "$MS",
                    "tick_direction": 2,
                    "price": 64000.5,
                    "mark_price": 64000.12,
                    "instrument_name": instrument,
                    "index_price": 63998.4,
                    "direction": "sell",
                    "amount": 10.0,
                }
            ],
        )

    def ticker(channel: str, n: int) -> str:
        instrument = channel.split(".")[1]
        return subscription(
            channel,
            {
                "timestamp": "$MS",
                "instrument_name": instrument,
                "state": "open",
                "best_bid_price": 64000.0,
                "best_bid_amount": 1200.0,
                "best_ask_price": 64000.5,
                "best_ask_amount": 830.0,
                "last_price": 64000.5,
                "mark_price": 64000.12,
                "index_price": 63998.4,
                "open_interest": 502097590,
                "funding_8h": 0.00001,
                "stats": {"volume": 23591.6, "low": 63100.0, "high": 64600.0},
            },
        )

    def book(channel: str, n: int) -> str:
        instrument = channel.split(".")[1]
        return subscription(
            channel,
            {
                "type": "snapshot" if n == 1 else "change",
                "timestamp": "$MS",
                "prev_change_id": 2900000 + n - 1,
                "change_id": 2900000 + n,
                "instrument_name": instrument,
                "bids": [["new", 64000.0, 1200.0]],
                "asks": [["change", 64000.5, 830.0]],
            },
        )

    heartbeat = js({"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "heartbeat"}})
    test = js({"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "test_request"}})

    def rows_for(channels: list[str]) -> list[Row]:
        return [
            {"on": "public/set_heartbeat", "reply": reply(result("ok"))},
            {"on": "public/subscribe", "reply": reply(result(channels))},
            {"on": "public/test", "reply": reply(result({"version": "1.2.26"}), t=0.01)},
            *beats([heartbeat]),
            *beats([test], "test_request", start=0.32, every=0.5),
        ]

    trades = ["trades.BTC-PERPETUAL.raw", "trades.ETH-PERPETUAL.raw"]
    write("deribit", rows_for(trades) + data(*trades, trade))
    others = ["ticker.BTC-PERPETUAL.100ms", "book.ETH-PERPETUAL.100ms"]
    rows = rows_for(others) + channel(others[0], ticker, "ticker", FIRST_DATA, 0.1)
    write("deribit-book", rows + channel(others[1], book, "book", FIRST_DATA + 0.1, QUIET))


# -- Bitfinex: an info greeting, chanIds, a snapshot 1 s after each ack, [chanId,"hb"] -------


def bitfinex() -> None:
    info = js(
        {
            "event": "info",
            "version": 2,
            "serverId": "4c1aa7b2-8d0f-4a9b-b4b8-3cb1c5c3a0f1",
            "platform": {"status": 1},
        }
    )
    chans = {"tBTCUSD": 17, "tETHUSD": 18}

    def write_session(name: str, seq_all: bool) -> None:
        def numbered(message: list[Any]) -> str:
            return js(message).replace('"$MS"', "$MS")

        def ack(pair: str) -> str:
            return js(
                {
                    "event": "subscribed",
                    "channel": "trades",
                    "chanId": chans[pair],
                    "symbol": pair,
                    "pair": pair[1:],
                }
            )

        def snapshot(pair: str) -> Row:
            trades = [[1402000000 + i, "$MS", 0.002 * (i + 1), 64000.1 - i] for i in range(3)]
            return {
                "t": 1.0,
                "text": numbered([chans[pair], trades]),
                "kind": "snapshot",
                "data": True,
                "age": 2.0,
            }

        def trade(chan: str, n: int) -> str:
            return numbered([int(chan), "te", [1402100000 + n, "$MS", 0.0012, 64000.1]])

        rows: list[Row] = [{"greet": info, "t": 0.02}]
        if seq_all:
            conf = js({"event": "conf", "status": "OK", "flags": 65536})
            rows.append({"on": '"event":"conf"', "reply": reply(conf)})
        for pair in chans:
            rows.append({"on": pair, "reply": [*reply(ack(pair)), snapshot(pair)]})
        # Channel 17 trades from just after its snapshot; 18, quieter, a little later.
        rows += data("17", "18", trade, start=1.1, quiet_from=1.2)
        # Data starts a second in, so a test's stale_after must be over that: a longer tail.
        hb = [f'[{chan},"hb"]' for chan in chans.values()]
        rows += beats(hb, start=0.25, end=END + 1.0)
        if seq_all:  # every channel message and heartbeat ends with the connection's next number
            timed = [r for r in rows if "t" in r and "text" in r]
            timed += [r for answer in rows if "reply" in answer for r in answer["reply"][1:]]
            for number, row in enumerate(sorted(timed, key=lambda r: float(r["t"])), 1):
                row["text"] = row["text"][:-1] + f",{number}]"
        write(name, rows)

    write_session("bitfinex", seq_all=False)
    write_session("bitfinex-seq", seq_all=True)


def main() -> None:
    for make in (binance, bybit, okx, coinbase, kraken, deribit, bitfinex):
        make()


if __name__ == "__main__":
    main()
