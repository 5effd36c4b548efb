"""The two databases a sql feed reads: SQLite (stdlib, in its own thread) and PostgreSQL.

Both read only and briefly, and every wait is bounded: open_timeout to connect,
query_timeout per query. SQLite opens the file with ``mode=ro`` and ``query_only``, and ends
each read as soon as its rows are fetched, so a writer is never told "database is locked".
PostgreSQL (psycopg 3, imported only when a feed uses it) runs the query in a READ ONLY
transaction with ``statement_timeout`` set, and ``default_transaction_read_only`` on besides.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

from feedwatch.config.model import FeedConfig
from feedwatch.config.sql_reader import SQLITE_PREFIX
from feedwatch.transports.connection import Failure, OpenFailed

# A reader waits at most this long for a writer's lock (and never longer than the query may).
SQLITE_BUSY_TIMEOUT = 1.0

Rows = Sequence[Sequence[Any]]


async def open_source(feed: FeedConfig) -> SqliteSource | PostgresSource:
    """The feed's database, connected; raises ``OpenFailed`` with a reason a person can act on."""
    if feed.url.startswith(SQLITE_PREFIX):
        return await SqliteSource.open(feed, Path(feed.url[len(SQLITE_PREFIX) :]))
    return await PostgresSource.open(feed)


def one_line(exc: BaseException) -> str:
    text = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
    return text or type(exc).__name__


class SqliteSource:
    """A read-only SQLite connection, used from one thread of its own."""

    def __init__(self, feed: FeedConfig, conn: sqlite3.Connection, pool: ThreadPoolExecutor):
        self.feed = feed
        self.conn = conn
        self.pool = pool

    @classmethod
    async def open(cls, feed: FeedConfig, path: Path) -> SqliteSource:
        pool = ThreadPoolExecutor(1, thread_name_prefix=f"sql:{feed.name}")
        busy = min(SQLITE_BUSY_TIMEOUT, feed.query_timeout)

        def connect() -> sqlite3.Connection:
            uri = f"file:{quote(str(path))}?mode=ro"
            conn = sqlite3.connect(
                uri, uri=True, timeout=busy, isolation_level=None, check_same_thread=False
            )
            try:
                conn.execute("PRAGMA query_only = 1")
            except BaseException:
                conn.close()
                raise
            return conn

        future = asyncio.get_running_loop().run_in_executor(pool, connect)
        try:
            async with asyncio.timeout(feed.open_timeout):
                conn = await future
        except TimeoutError as exc:
            pool.shutdown(wait=False)
            raise OpenFailed(Failure("timeout", f"opening {path} timed out")) from exc
        except sqlite3.Error as exc:
            pool.shutdown(wait=False)
            raise OpenFailed(Failure("database", f"cannot open {path}: {one_line(exc)}")) from exc
        return cls(feed, conn, pool)

    def read(self) -> Rows:
        """Run the query and end its read at once: a cursor left open holds the lock."""
        cursor = self.conn.execute(self.feed.query or "")
        try:
            return cursor.fetchmany(self.feed.max_channels)
        finally:
            cursor.close()

    async def fetch(self) -> Rows:
        future = asyncio.get_running_loop().run_in_executor(self.pool, self.read)
        timeout = self.feed.query_timeout
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.shield(future)
        except TimeoutError as exc:
            self.interrupt(future)
            raise OpenFailed(Failure("timeout", f"query timed out after {timeout:g}s")) from exc
        except asyncio.CancelledError:
            self.interrupt(future)
            raise
        except sqlite3.Error as exc:
            raise OpenFailed(Failure("query", f"query failed: {one_line(exc)}")) from exc

    def interrupt(self, future: asyncio.Future[Rows]) -> None:
        """Stop the query still running in the thread; its "interrupted" error is expected."""
        self.conn.interrupt()
        future.add_done_callback(lambda done: done.cancelled() or done.exception())

    async def close(self) -> None:
        self.conn.interrupt()
        future = asyncio.get_running_loop().run_in_executor(self.pool, self.conn.close)
        self.pool.shutdown(wait=False)
        await future


class PostgresSource:
    """A psycopg 3 async connection whose every query is a READ ONLY transaction."""

    def __init__(self, feed: FeedConfig, conn: Any) -> None:
        self.feed = feed
        self.conn = conn

    @classmethod
    async def open(cls, feed: FeedConfig) -> PostgresSource:
        import psycopg

        timeout_ms = max(1, round(feed.query_timeout * 1000))
        conn = None
        try:
            async with asyncio.timeout(feed.open_timeout):
                conn = await psycopg.AsyncConnection.connect(
                    feed.url,
                    autocommit=True,
                    connect_timeout=max(1, math.ceil(feed.open_timeout)),
                    application_name="feedwatch",
                )
                await conn.execute(f"SET statement_timeout = {timeout_ms}")
                await conn.execute("SET default_transaction_read_only = on")
                await conn.set_read_only(True)
        except TimeoutError as exc:
            await _close(conn)
            raise OpenFailed(Failure("timeout", "connecting to the database timed out")) from exc
        except psycopg.Error as exc:
            await _close(conn)
            reason = f"cannot connect to the database: {one_line(exc)}"
            raise OpenFailed(Failure("database", reason)) from exc
        return cls(feed, conn)

    async def fetch(self) -> Rows:
        import psycopg

        timeout = self.feed.query_timeout
        try:
            # The server's statement_timeout ends the query; this bounds a silent network.
            async with (
                asyncio.timeout(timeout + 1.0),
                self.conn.transaction(),
                self.conn.cursor() as cursor,
            ):
                await cursor.execute(self.feed.query or "")
                if cursor.description is None:
                    raise OpenFailed(Failure("query", "query failed: it returns no rows"))
                rows: Rows = await cursor.fetchmany(self.feed.max_channels)
                return rows
        except TimeoutError as exc:
            raise OpenFailed(Failure("timeout", f"query timed out after {timeout:g}s")) from exc
        except psycopg.errors.QueryCanceled as exc:
            reason = f"query timed out after {timeout:g}s (statement_timeout)"
            raise OpenFailed(Failure("timeout", reason)) from exc
        except psycopg.OperationalError as exc:
            reason = f"database connection lost: {one_line(exc)}"
            raise OpenFailed(Failure("database", reason)) from exc
        except psycopg.Error as exc:
            raise OpenFailed(Failure("query", f"query failed: {one_line(exc)}")) from exc

    async def close(self) -> None:
        await _close(self.conn)


async def _close(conn: Any) -> None:
    if conn is not None:
        with contextlib.suppress(Exception):  # a broken connection may fail to close: gone
            await conn.close()
