"""A separate writer process for the SQLite freshness tests: ticker rows every few ms.

Run as ``python -m tests.sqlite_writer DB INTERVAL SYMBOL...``. It inserts one row per
symbol per interval, each in its own transaction, with SQLite's usual 5 s busy timeout, until
SIGTERM. Every error it meets goes to stderr and makes its exit code 1; on exit it prints
the timestamp of its last row, so a test knows when the data stopped.
"""

from __future__ import annotations

import signal
import sqlite3
import sys
import time


def main(path: str, interval: float, symbols: list[str]) -> int:
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None)
    errors = 0
    last = 0.0
    rows = 0
    print("ready", flush=True)
    while not stopping:
        try:
            conn.execute("BEGIN IMMEDIATE")
            now = time.time()
            for symbol in symbols:
                conn.execute("INSERT INTO ticks (ts, symbol) VALUES (?, ?)", (now, symbol))
            conn.execute("COMMIT")
            last = now
            rows += len(symbols)
        except sqlite3.Error as exc:
            errors += 1
            print(f"writer error: {exc}", file=sys.stderr, flush=True)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        time.sleep(interval)
    conn.close()
    print(f"last {last!r} rows {rows}", flush=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2]), sys.argv[3:]))
