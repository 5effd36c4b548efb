"""A seeded tape of plausible trades, so simulated feeds look like real markets."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

# Rough starting prices, so a demo screen does not show a 100.00 bitcoin.
_START_PRICES = {"btc": 64_000.0, "eth": 3_200.0, "sol": 145.0, "xrp": 0.52, "doge": 0.15}
_DEFAULT_START = 100.0
# Per-trade volatility of the random walk (relative standard deviation).
_STEP = 0.0004


def compact(value: object) -> str:
    """Serialise without spaces, because users match on substrings like '"result":null'."""
    return json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True)
class Trade:
    symbol: str
    seq: int
    price: str
    qty: str
    buyer_is_maker: bool

    def binance(self, stream: str, ms: int) -> str:
        """Render as a Binance combined-stream trade, the shape most users will recognise."""
        data = {"e": "trade", "E": ms, "s": self.symbol, "t": self.seq, "p": self.price}
        data.update({"q": self.qty, "T": ms, "m": self.buyer_is_maker})
        return compact({"stream": stream, "data": data})

    def deribit(self, ms: int) -> str:
        """Render as a Deribit JSON-RPC notification, for the test_request feed."""
        instrument = f"{self.symbol.removesuffix('USDT')}-PERPETUAL"
        trade = {
            "trade_seq": self.seq,
            "timestamp": ms,
            "price": float(self.price),
            "amount": float(self.qty),
            "direction": "sell" if self.buyer_is_maker else "buy",
            "instrument_name": instrument,
        }
        params = {"channel": f"trades.{instrument}.raw", "data": [trade]}
        return compact({"jsonrpc": "2.0", "method": "subscription", "params": params})


class TradeTape:
    """Random-walk trades per asset from one RNG, so a seed replays the same market."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._prices: dict[str, float] = {}
        self._seqs: dict[str, int] = {}

    def next(self, asset: str = "btc") -> Trade:
        """Advance the walk so consecutive messages move like a real order book."""
        key = asset.lower()
        price = self._prices.get(key, _START_PRICES.get(key, _DEFAULT_START))
        price *= 1.0 + self._rng.gauss(0.0, _STEP)
        self._prices[key] = price
        seq = self._seqs[key] = self._seqs.get(key, 0) + 1
        qty = self._rng.lognormvariate(-4.0, 1.2)
        decimals = 2 if price >= 1.0 else 5
        return Trade(
            symbol=f"{key.upper()}USDT",
            seq=seq,
            price=f"{price:.{decimals}f}",
            qty=f"{qty:.5f}",
            buyer_is_maker=self._rng.random() < 0.5,
        )
