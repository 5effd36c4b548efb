"""transport = "sql" on a real PostgreSQL server (initdb into a temporary directory)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedwatch.config.model import FeedConfig
from feedwatch.engine.events import EventKind
from tests.live import Running, feed
from tests.postgres import READER, PostgresServer, server_or_skip
from tests.waiting import wait_until


@pytest.fixture(scope="module")
def shared() -> Iterator[PostgresServer]:
    """One server for the tests that leave it running: a fresh table per test."""
    server = server_or_skip()
    yield server
    server.close()


@pytest.fixture
def postgres(shared: PostgresServer) -> PostgresServer:
    shared.execute("DROP TABLE IF EXISTS ticks")
    shared.execute(
        "CREATE TABLE ticks (at timestamptz, naive timestamp, epoch float8, symbol text)"
    )
    shared.execute(f"GRANT SELECT ON ticks TO {READER}")
    return shared


@pytest.fixture
def own() -> Iterator[PostgresServer]:
    """A server of its own, for a test that stops and restarts it."""
    server = server_or_skip()
    server.execute("CREATE TABLE ticks (at timestamptz)")
    yield server
    server.close()


def sql_feed(dsn: str, query: str = "SELECT max(at) FROM ticks", **changes: object) -> FeedConfig:
    keys: dict[str, object] = {
        "stale_after": 0.6,
        "transport": "sql",
        "query": query,
        "poll_every": 0.05,
        "query_timeout": 1.0,
        "reconnect_on_stale": False,
        "secrets": (),
    }
    return feed("pg", dsn, **{**keys, **changes})  # type: ignore[arg-type]


def tick(server: PostgresServer) -> None:
    server.execute(
        "INSERT INTO ticks VALUES (now(), now() AT TIME ZONE 'UTC', "
        "extract(epoch from now()), 'btcusdt')"
    )


def tick_at(server: PostgresServer) -> None:
    server.execute("INSERT INTO ticks (at) VALUES (now())")


async def ticking(server: PostgresServer, seconds: float) -> None:
    for _ in range(round(seconds / 0.05)):
        await asyncio.to_thread(tick, server)
        await asyncio.sleep(0.05)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT max(at) FROM ticks",  # timestamptz
        "SELECT max(naive) FROM ticks",  # timestamp without time zone: UTC
        "SELECT max(epoch) FROM ticks",  # unix seconds
        "SELECT max(at), symbol FROM ticks GROUP BY symbol",  # one row per channel
    ],
    ids=["timestamptz", "naive-utc", "unix-seconds", "per-channel"],
)
async def test_new_rows_are_live_and_rows_that_stop_go_stale(
    postgres: PostgresServer, query: str
) -> None:
    tick(postgres)
    async with Running(sql_feed(postgres.dsn(), query)) as run:
        await wait_until(lambda: run.state("pg") == "live")
        await ticking(postgres, 1.0)
        assert run.state("pg") == "live"
        age = run.engine.feed_snapshot("pg").last_data_age
        assert age is not None and 0 <= age < 0.3  # the rows' own time, whatever its type
        stale = await run.rec.wait_kind(EventKind.STALE, timeout=3.0)
        assert stale.age_seconds is not None and stale.age_seconds >= 0.6
        assert run.rec.of(EventKind.ERROR) == []
        if "symbol" in query:
            assert [c.key for c in run.engine.feed_snapshot("pg").channels] == ["btcusdt"]


async def test_bad_sql_is_a_connection_failure_with_backoff_and_no_traceback(
    postgres: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Running(sql_feed(postgres.dsn(), "SELEC max(at) FROM ticks")) as run:
        error = await run.rec.wait_kind(EventKind.ERROR)
        assert error.fields["kind"] == "query"
        assert 'syntax error at or near "SELEC"' in (error.reason or "")
        backoff = await run.rec.wait_kind(EventKind.RECONNECTING)
        assert backoff.fields["delay_seconds"] > 0
        await run.rec.wait(lambda e: e.kind is EventKind.ERROR, after=run.rec.events.index(backoff))
    assert "Traceback" not in capsys.readouterr().err


async def test_a_query_past_its_timeout_is_cut_off_by_the_server(postgres: PostgresServer) -> None:
    feed = sql_feed(postgres.dsn(), "SELECT now() FROM pg_sleep(5)", query_timeout=0.3)
    async with Running(feed) as run:
        started = asyncio.get_running_loop().time()
        error = await run.rec.wait_kind(EventKind.ERROR, timeout=3.0)
        assert asyncio.get_running_loop().time() - started < 2.0
        assert error.fields["kind"] == "timeout"
        assert "statement_timeout" in (error.reason or "")
        await run.rec.wait_kind(EventKind.RECONNECTING)


async def test_a_query_that_writes_is_refused_read_only(postgres: PostgresServer) -> None:
    tick(postgres)
    query = "WITH gone AS (DELETE FROM ticks RETURNING at) SELECT max(at) FROM gone"
    async with Running(sql_feed(postgres.dsn(), query)) as run:
        error = await run.rec.wait_kind(EventKind.ERROR)
        assert "read-only transaction" in (error.reason or "")
    rows: list[object] = []

    def count() -> None:
        import psycopg

        with psycopg.connect(postgres.dsn()) as conn:
            rows.extend(conn.execute("SELECT count(*) FROM ticks").fetchall())

    count()
    assert rows == [(1,)]


async def test_a_stopped_server_is_a_failure_with_backoff_and_a_restart_is_live_again(
    own: PostgresServer,
) -> None:
    tick_at(own)
    async with Running(sql_feed(own.dsn(), stale_after=30.0)) as run:
        await wait_until(lambda: run.state("pg") == "live")
        await asyncio.to_thread(own.stop)
        await run.rec.wait_kind(EventKind.DISCONNECTED, timeout=5.0)
        error = await run.rec.wait_kind(EventKind.ERROR, timeout=5.0)
        assert error.fields["kind"] == "database"
        await run.rec.wait_kind(EventKind.RECONNECTING)
        assert run.state("pg") != "live"
        await asyncio.to_thread(own.start)
        await asyncio.to_thread(tick_at, own)
        await wait_until(lambda: run.state("pg") == "live", timeout=10.0)


def dsn_config(tmp_path: Path, server: PostgresServer) -> Path:
    dsn = f"postgresql://{READER}:${{FW_PG_PASSWORD}}@/feeds?host={server.socket_dir}"
    path = tmp_path / "feedwatch.toml"
    path.write_text(
        f"""
[history]
enabled = false

[[feeds]]
name = "pg"
transport = "sql"
dsn = "{dsn}"
query = "SELECT max(at) FROM ticks"
every = "100ms"
stale_after = "30s"
"""
    )
    return path


async def run_feedwatch(*args: str, password: str, until: str | None = None) -> str:
    """feedwatch's stdout and stderr together, once it exits (or, stopped, once a line
    holding ``until`` is out)."""
    env = {**os.environ, "FW_PG_PASSWORD": password}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "feedwatch", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdout is not None
    seen: list[bytes] = []
    if until is not None:
        async with asyncio.timeout(30):
            while until.encode() not in (line := await proc.stdout.readline()):
                assert line, b"".join(seen).decode()
                seen.append(line)
            seen.append(line)
        proc.terminate()
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return (b"".join(seen) + out).decode()


async def test_the_dsn_password_comes_from_the_environment_and_is_never_shown(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    tick(postgres)
    password = postgres.reader_password
    config = dsn_config(tmp_path, postgres)
    check = await run_feedwatch("check", "--config", str(config), password=password)
    assert check.startswith("FEEDWATCH OK"), check
    headless = await run_feedwatch(
        "--config", str(config), "--headless", password=password, until='"connected"'
    )
    events = [json.loads(line) for line in headless.splitlines() if line.startswith("{")]
    assert any(e["event"] == "connected" for e in events), headless
    wrong = await run_feedwatch("check", "--config", str(config), password=password + "x")
    assert "password authentication failed" in wrong, wrong
    for output in (check, headless, wrong):
        assert password not in output
        assert "Traceback" not in output
