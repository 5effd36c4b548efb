"""The history file's tables, and the steps that bring an older file up to date.

``PRAGMA user_version`` is the schema version. Each step runs in its own transaction and
bumps the version, so a file is never left half-migrated: a crash mid-step rolls back to
the previous version and the step runs again next time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.request import pathname2url

from feedwatch.history.incidents import IncidentLog
from feedwatch.history.rows import EVENT_COLUMNS, row_event


class HistoryError(Exception):
    """The history file cannot be used; the message is for humans."""


def _run(db: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it commits first, and each step must be one transaction.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1_events_sessions_last_data(db: sqlite3.Connection) -> None:
    _run(
        db,
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            ts REAL NOT NULL,
            feed TEXT NOT NULL,
            channel TEXT,
            kind TEXT NOT NULL,
            reason TEXT,
            age REAL,
            fields TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX events_ts ON events (ts);
        CREATE INDEX events_feed_ts ON events (feed, ts);
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            start REAL NOT NULL,
            last_seen REAL NOT NULL,
            end REAL,
            pid INTEGER,
            command TEXT
        );
        CREATE TABLE last_data (
            feed TEXT NOT NULL,
            channel TEXT NOT NULL DEFAULT '',
            ts REAL NOT NULL,
            PRIMARY KEY (feed, channel)
        ) WITHOUT ROWID;
        """,
    )


def _v2_incidents(db: sqlite3.Connection) -> None:
    """Incidents were added in v2: derive them from the events already kept."""
    _run(
        db,
        """
        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            feed TEXT NOT NULL,
            channel TEXT,
            kind TEXT NOT NULL,
            start REAL NOT NULL,
            end REAL,
            cause TEXT,
            reconnects INTEGER NOT NULL DEFAULT 0,
            session INTEGER
        );
        CREATE INDEX incidents_start ON incidents (start);
        CREATE INDEX incidents_open ON incidents (feed) WHERE end IS NULL;
        """,
    )
    log = IncidentLog(db, session=None)
    for row in db.execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY id").fetchall():
        event = row_event(row)
        if event is not None:
            log.on_event(event)


def _v3_gap_profiles(db: sqlite3.Connection) -> None:
    """stale_after = "auto" keeps what it learned: gap counts per hour of the week and bin."""
    _run(
        db,
        """
        CREATE TABLE gap_profiles (
            feed TEXT NOT NULL,
            bucket INTEGER NOT NULL,
            bin INTEGER NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (feed, bucket, bin)
        ) WITHOUT ROWID;
        """,
    )


def _v4_channel_gap_profiles(db: sqlite3.Connection) -> None:
    """channel_stale_after = "auto" keeps what each channel learned: gap counts per bin."""
    _run(
        db,
        """
        CREATE TABLE channel_gap_profiles (
            feed TEXT NOT NULL,
            channel TEXT NOT NULL,
            bin INTEGER NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (feed, channel, bin)
        ) WITHOUT ROWID;
        """,
    )


# MIGRATIONS[n] brings a file at version n to version n + 1.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _v1_events_sessions_last_data,
    _v2_incidents,
    _v3_gap_profiles,
    _v4_channel_gap_profiles,
)
SCHEMA_VERSION = len(MIGRATIONS)


def version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def connect_writer(path: Path) -> sqlite3.Connection:
    """A read-write connection in WAL mode, the file brought to the current schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives a crash of the process (SIGKILL, OOM);
        # only a power cut can lose the last commits, never corrupt the file.
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=5000")
        migrate(db, path)
    except BaseException:
        db.close()
        raise
    return db


def connect_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection: it can never write, so it can never corrupt the file."""
    uri = f"file:{pathname2url(str(path.resolve()))}?mode=ro"
    db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA busy_timeout=5000")
    found = version(db)
    if found != SCHEMA_VERSION:
        db.close()
        raise HistoryError(_version_problem(path, found))
    return db


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Run every step between the file's version and ours, one transaction each."""
    found = version(db)
    if found > SCHEMA_VERSION:
        raise HistoryError(_version_problem(path, found))
    for step in range(found, SCHEMA_VERSION):
        db.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[step](db)
            db.execute(f"PRAGMA user_version = {step + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def _version_problem(path: Path, found: int) -> str:
    if found > SCHEMA_VERSION:
        return (
            f"{path} was written by a newer feedwatch (history schema v{found}; this one "
            f"knows up to v{SCHEMA_VERSION}): upgrade feedwatch to read it"
        )
    return (
        f"{path} is in an older format (history schema v{found}, now v{SCHEMA_VERSION}); "
        "it is upgraded the next time feedwatch records to it"
    )
