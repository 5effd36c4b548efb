"""transport = "sql" on SQLite, read while a real writer process inserts ticker rows."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedwatch.config.model import FeedConfig
from feedwatch.engine.events import EventKind
from tests.live import Running, feed
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
PER_SYMBOL = "SELECT max(ts), symbol FROM ticks GROUP BY symbol ORDER BY symbol"


def ticks_db(path: Path, journal: str) -> Path:
    """An empty ticks table in ``journal`` mode (wal or delete: a rollback journal)."""
    conn = sqlite3.connect(path)
    mode = conn.execute(f"PRAGMA journal_mode = {journal}").fetchone()[0]
    assert mode == journal
    conn.execute("CREATE TABLE ticks (ts REAL NOT NULL, symbol TEXT NOT NULL)")
    conn.commit()
    conn.close()
    return path


class Writer:
    """The writer process: inserts a row per symbol every 20 ms until stopped."""

    def __init__(self, db: Path, *symbols: str, interval: float = 0.02) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.sqlite_writer", str(db), str(interval), *symbols],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"

    def stop(self) -> float:
        """Stop it; the timestamp of its last row. Fails if it ever met an error."""
        self.process.terminate()
        out, err = self.process.communicate(timeout=10)
        assert err == "", f"the writer met errors: {err}"
        assert self.process.returncode == 0
        assert "rows 0" not in out
        return float(out.split()[1])


@pytest.fixture
def writers() -> Iterator[list[Writer]]:
    started: list[Writer] = []
    yield started
    for writer in started:
        if writer.process.poll() is None:
            writer.process.kill()
            writer.process.communicate()


def sql_feed(db: Path, query: str = "SELECT max(ts) FROM ticks", **changes: object) -> FeedConfig:
    keys: dict[str, object] = {
        "stale_after": 0.5,
        "transport": "sql",
        "query": query,
        "poll_every": 0.05,
        "query_timeout": 1.0,
        "reconnect_on_stale": False,  # what the config reader gives a sql feed
    }
    return feed("ticks", f"sqlite://{db}", **{**keys, **changes})  # type: ignore[arg-type]


def wall(monotonic_at: float) -> float:
    """The wall-clock time of a monotonic instant in the recent past."""
    return time.time() - (time.monotonic() - monotonic_at)


@pytest.mark.parametrize("journal", ["wal", "delete"])
async def test_a_writer_is_never_locked_out_and_its_stop_is_stale_at_the_deadline(
    tmp_path: Path, writers: list[Writer], journal: str
) -> None:
    db = ticks_db(tmp_path / "ticks.db", journal)
    writer = Writer(db, "btcusdt")
    writers.append(writer)
    async with Running(sql_feed(db)) as run:
        await wait_until(lambda: run.state("ticks") == "live")
        for _ in range(30):  # 1.5 s of reading every 50 ms beside the writer
            await asyncio.sleep(0.05)
            assert run.state("ticks") == "live"
        last = writer.stop()  # asserts the writer never saw "database is locked"
        index = len(run.rec.events)
        await run.rec.wait_kind(EventKind.STALE, after=index, timeout=3.0)
        event = next(i for i, e in enumerate(run.rec.events) if e.kind is EventKind.STALE)
        late = wall(run.rec.times[event]) - (last + 0.5)
        assert -0.005 <= late <= 0.05, f"stale {late * 1000:.0f} ms after the deadline"
        assert run.rec.of(EventKind.ERROR) == []
        assert run.rec.of(EventKind.DISCONNECTED) == []  # stale data is no connection failure


@pytest.mark.parametrize("journal", ["wal", "delete"])
async def test_one_row_per_symbol_gives_channels_and_one_stopping_makes_the_feed_partial(
    tmp_path: Path, writers: list[Writer], journal: str
) -> None:
    db = ticks_db(tmp_path / "ticks.db", journal)
    writers.append(Writer(db, "btcusdt", "ethusdt"))
    async with Running(sql_feed(db, PER_SYMBOL)) as run:
        await wait_until(lambda: run.state("ticks") == "live")
        await wait_until(lambda: len(run.engine.feed_snapshot("ticks").channels) == 2)
        writers[0].stop()
        writers.append(Writer(db, "btcusdt"))  # ethusdt's rows stop
        await wait_until(lambda: run.state("ticks") == "partial", timeout=3.0)
        stale = await run.rec.wait_kind(EventKind.STALE)
        assert stale.channel == "ethusdt"
        channels = {c.key: str(c.state) for c in run.engine.feed_snapshot("ticks").channels}
        assert channels == {"btcusdt": "live", "ethusdt": "stale"}
        writers[1].stop()


async def test_only_max_channels_rows_are_read(tmp_path: Path) -> None:
    db = ticks_db(tmp_path / "ticks.db", "wal")
    with sqlite3.connect(db) as conn:
        now = time.time()
        conn.executemany(
            "INSERT INTO ticks VALUES (?, ?)", [(now + 60, f"s{i:03}") for i in range(50)]
        )
    async with Running(sql_feed(db, PER_SYMBOL, max_channels=5, stale_after=600.0)) as run:
        await wait_until(lambda: run.engine.feed_snapshot("ticks").messages >= 10)
        assert len(run.engine.feed_snapshot("ticks").channels) == 5


async def test_a_timestamp_in_the_future_counts_as_now_and_is_reported_once(
    tmp_path: Path,
) -> None:
    db = ticks_db(tmp_path / "ticks.db", "wal")
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO ticks VALUES (?, 'btcusdt')", (time.time() + 120,))
    async with Running(sql_feed(db)) as run:
        await wait_until(lambda: run.state("ticks") == "live")
        await wait_until(lambda: run.engine.feed_snapshot("ticks").messages >= 10)
        errors = run.rec.of(EventKind.ERROR)
        assert len(errors) == 1, [e.describe() for e in errors]
        assert errors[0].fields["kind"] == "future_timestamp"
        assert "in the future" in (errors[0].reason or "")
        assert 119 < float(errors[0].fields["ahead_seconds"]) <= 120
        assert run.state("ticks") == "live"


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time five hours from UTC, so a naive timestamp read as local time is caught."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("new_york")
async def test_naive_iso_text_timestamps_are_utc_and_an_empty_table_is_no_data(
    tmp_path: Path,
) -> None:
    db = tmp_path / "ticks.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE ticks (ts TEXT)")
    async with Running(sql_feed(db, stale_after=1.0)) as run:
        await wait_until(lambda: run.engine.feed_snapshot("ticks").heartbeats >= 3)
        assert run.state("ticks") != "live"  # max() of no rows is NULL: an answer, no data
        with sqlite3.connect(db) as conn:
            conn.execute("INSERT INTO ticks VALUES (strftime('%Y-%m-%d %H:%M:%f', 'now'))")
        await wait_until(lambda: run.state("ticks") == "live")
        age = run.engine.feed_snapshot("ticks").last_data_age
        assert age is not None and age < 0.5


async def test_a_missing_file_and_a_bad_query_are_connection_failures_with_backoff(
    tmp_path: Path,
) -> None:
    db = ticks_db(tmp_path / "ticks.db", "wal")
    missing = sql_feed(tmp_path / "nope.db")
    bad = FeedConfig(**{**vars(sql_feed(db, "SELECT max(ts) FROM nowhere")), "name": "bad"})
    async with Running(missing, bad) as run:
        for name, kind, words in (
            ("ticks", "database", "cannot open"),
            ("bad", "query", "no such table: nowhere"),
        ):
            error = await run.rec.wait(lambda e, n=name: e.feed == n and e.kind is EventKind.ERROR)
            assert error.fields["kind"] == kind
            assert words in (error.reason or "")
            await run.rec.wait_kind(EventKind.RECONNECTING, feed=name)


async def test_a_query_that_writes_is_refused(tmp_path: Path) -> None:
    db = ticks_db(tmp_path / "ticks.db", "wal")
    query = "INSERT INTO ticks VALUES (1, 'x') RETURNING ts"
    async with Running(sql_feed(db, query)) as run:
        error = await run.rec.wait_kind(EventKind.ERROR)
        assert error.fields["kind"] == "query"
        assert "readonly" in (error.reason or "") or "read-only" in (error.reason or "")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM ticks").fetchone()[0] == 0


async def test_a_query_past_its_timeout_is_interrupted_and_is_a_failure(tmp_path: Path) -> None:
    db = ticks_db(tmp_path / "ticks.db", "wal")
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"
    async with Running(sql_feed(db, endless, query_timeout=0.3)) as run:
        started = time.monotonic()
        error = await run.rec.wait_kind(EventKind.ERROR, timeout=3.0)
        assert time.monotonic() - started < 1.5
        assert (error.fields["kind"], error.reason) == ("timeout", "query timed out after 0.3s")
        await run.rec.wait_kind(EventKind.RECONNECTING)
