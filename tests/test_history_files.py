"""The history file itself: it survives a kill, old versions upgrade, old rows go, and a
second process only reads."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from feedwatch.config.model import HistoryConfig
from feedwatch.engine.events import Event, EventKind
from feedwatch.history import writer
from feedwatch.history.schema import SCHEMA_VERSION, HistoryError
from feedwatch.history.store import HistoryStore, NoHistory
from tests.history_fixtures import ROOT, T0, Recording, feed, headless, recovered, stale

DAY = 86400.0


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code), *args]


BURST = """
    import sys, time
    from pathlib import Path
    from feedwatch.config.model import Config, HistoryConfig
    from feedwatch.engine.clock import FakeClock
    from feedwatch.engine.engine import Engine
    from feedwatch.engine.events import Event, EventKind
    from feedwatch.history.store import HistoryStore, NoHistory

    store = HistoryStore.open(HistoryConfig(path=Path(sys.argv[1])))
    engine = Engine(Config(feeds=()), clock=FakeClock())
    store.attach(engine)
    n = 0
    while True:
        for _ in range(2000):
            n += 1
            engine.bus.emit(Event(time.time(), "burst", EventKind.ERROR, reason=f"n{n}",
                                  fields={"kind": "frame", "n": n}))
        print(f"written {store.flush()}", flush=True)
"""


def test_a_process_killed_mid_burst_keeps_everything_committed_intact(tmp_path: Path) -> None:
    """SIGKILL cannot be caught, so nothing is flushed at exit. The guarantee: every
    committed batch is intact and in order (WAL, a transaction per batch), and what is
    lost is only what was not committed yet: the writer commits what arrives within
    BATCH_SECONDS (100 ms) of a batch's first item, so only the batch in flight and what
    queued behind it are lost, here at most the burst after the last report."""
    db = tmp_path / "history.db"
    child = subprocess.Popen(python(BURST, str(db)), stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert child.stdout is not None
    reported = 0
    for _ in range(6):
        line = child.stdout.readline()
        assert line.startswith("written "), line
        reported = int(line.split()[1])
    child.send_signal(signal.SIGKILL)  # the next burst is being queued and written
    child.wait(timeout=10)
    for line in child.stdout.read().splitlines():  # what it said before it died
        reported = int(line.split()[1])

    assert reported >= 10_000
    assert integrity(db) == "ok"
    kept = count(db, "events")
    assert reported <= kept <= reported + 2000  # at most the burst that was being written
    with sqlite3.connect(db) as conn:  # and they are the first ones, in order, none missing
        numbers = [json.loads(f)["n"] for (f,) in conn.execute("SELECT fields FROM events")]
    assert numbers == list(range(1, kept + 1))


V1 = """
    CREATE TABLE events (id INTEGER PRIMARY KEY, ts REAL NOT NULL, feed TEXT NOT NULL,
        channel TEXT, kind TEXT NOT NULL, reason TEXT, age REAL,
        fields TEXT NOT NULL DEFAULT '{}');
    CREATE INDEX events_ts ON events (ts);
    CREATE INDEX events_feed_ts ON events (feed, ts);
    CREATE TABLE sessions (id INTEGER PRIMARY KEY, start REAL NOT NULL,
        last_seen REAL NOT NULL, end REAL, pid INTEGER, command TEXT);
    CREATE TABLE last_data (feed TEXT NOT NULL, channel TEXT NOT NULL DEFAULT '',
        ts REAL NOT NULL, PRIMARY KEY (feed, channel)) WITHOUT ROWID;
    INSERT INTO sessions VALUES (1, 1790000000, 1790000100, 1790000100, 99, 'feedwatch');
    INSERT INTO events (ts, feed, kind, reason, age, fields) VALUES
        (1790000010, 'btc', 'stale', 'no data for 5s', 5.0, '{"stale_after_seconds": 5.0}'),
        (1790000012, 'btc', 'reconnecting', 'stale: no data', NULL, '{"attempt": 1}'),
        (1790000030, 'btc', 'recovered', 'data flowing again', 20.0, '{"outage_seconds": 20.0}');
    INSERT INTO last_data VALUES ('btc', '', 1790000030);
    PRAGMA user_version = 1;
"""


def test_a_version_1_file_is_upgraded_with_its_data_and_gains_incidents(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(V1)  # v1 had no incidents table
    store = HistoryStore.open(HistoryConfig(path=db), now=lambda: T0 + 200)

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    assert [e.kind for e in store.events()] == ["stale", "reconnecting", "recovered"]
    assert store.events()[0].to_json()["stale_after_seconds"] == 5.0
    assert store.last_data() == {("btc", None): T0 + 30}
    assert store.sessions() == [(T0, T0 + 100)]
    (incident,) = store.incidents()  # derived from the events v1 kept
    assert (incident.start, incident.end, incident.reconnects) == (T0 + 10, T0 + 30, 1)
    store.close()
    assert integrity(db) == "ok"


def test_a_file_from_a_newer_feedwatch_is_refused_and_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(HistoryError, match=r"newer feedwatch \(history schema v99"):
        HistoryStore.open(HistoryConfig(path=db))
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 99


def emit_at(r: Recording, ts: float, kind: EventKind) -> None:
    r.engine.bus.emit(Event(ts, "btc", kind, reason="no data for 5s"))


def test_retention_prunes_old_events_and_incidents_on_open_but_not_recent_ones(
    tmp_path: Path,
) -> None:
    db = tmp_path / "history.db"
    r = Recording(db, feed("btc"), at=T0)
    emit_at(r, T0 - 40 * DAY, EventKind.STALE)  # an old, closed incident
    emit_at(r, T0 - 40 * DAY + 60, EventKind.RECOVERED)
    emit_at(r, T0 - 35 * DAY, EventKind.STALE)  # an old incident that never closed
    emit_at(r, T0 - 1 * DAY, EventKind.ERROR)
    r.close()
    assert count(db, "events") == 4

    reopened = HistoryStore.open(HistoryConfig(path=db, retention_days=30), now=lambda: T0)
    reopened.flush()
    assert [e.ts for e in reopened.events()] == [T0 - DAY]
    (incident,) = reopened.incidents()  # open incidents are never pruned
    assert (incident.start, incident.end) == (T0 - 35 * DAY, None)
    reopened.close()


def test_retention_prunes_while_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "PRUNE_EVERY", 0.0)  # every batch
    db = tmp_path / "history.db"
    r = Recording(db, feed("btc"), days=1)
    stale(r, 10, "btc")
    recovered(r, 20, "btc")
    r.store.flush()
    r.emit(DAY + 15, "btc", EventKind.ERROR, reason="bad frame")  # stale is a day old now
    r.store.flush()
    assert [e.kind for e in r.store.events()] == ["recovered", "error"]
    assert len(r.store.incidents()) == 1  # it ended less than a day ago
    r.emit(DAY + 25, "btc", EventKind.ERROR, reason="bad frame")
    r.store.flush()
    assert [e.kind for e in r.store.events()] == ["error", "error"]
    assert r.store.incidents() == []
    r.close()


READER = """
    import json, sys
    from pathlib import Path
    from feedwatch.config.model import Config, HistoryConfig
    from feedwatch.engine.clock import FakeClock
    from feedwatch.engine.engine import Engine
    from feedwatch.engine.events import Event, EventKind
    from feedwatch.history.store import HistoryStore, NoHistory

    store = HistoryStore.open(HistoryConfig(path=Path(sys.argv[1])))
    engine = Engine(Config(feeds=()), clock=FakeClock())
    store.attach(engine)  # records nothing: another process owns the file
    engine.bus.emit(Event(1.0, "reader", EventKind.ERROR, reason="not kept"))
    print(json.dumps({
        "read_only": store.read_only, "owner": store.owner, "notice": store.notice,
        "events": [e.feed for e in store.events()], "written": store.flush(),
    }))
    store.close()
"""


def test_a_second_process_reads_but_records_nothing_and_says_who_records(
    tmp_path: Path,
) -> None:
    db = tmp_path / "history.db"
    r = Recording(db, feed("btc"))
    stale(r, 10, "btc")
    r.store.flush()

    seen = json.loads(
        subprocess.run(
            python(READER, str(db)), capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout
    )
    owner = f"pid {os.getpid()} ("
    assert seen["read_only"] is True
    assert seen["owner"].startswith(owner)
    assert seen["notice"].startswith(f"history: {db} is being recorded by {owner}")
    assert "records nothing" in seen["notice"]
    assert seen["events"] == ["btc"]  # reads work
    assert seen["written"] == 0

    recovered(r, 30, "btc")  # the owner keeps writing after the reader has gone
    r.close()
    assert integrity(db) == "ok"
    reader = HistoryStore.open(HistoryConfig(path=db), record=False)
    assert [e.feed for e in reader.events()] == ["btc"] * 2
    reader.close()
    assert count(db, "sessions") == 1  # the reader's session was not recorded


def test_the_writer_lock_passes_on_when_its_holder_closes(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    first = HistoryStore.open(HistoryConfig(path=db))
    second = HistoryStore.open(HistoryConfig(path=db))
    assert (first.read_only, second.read_only) == (False, True)
    first.close()
    second.close()
    third = HistoryStore.open(HistoryConfig(path=db))
    assert third.read_only is False and third.owner is None and third.notice is None
    third.close()


def test_history_turned_off_records_nothing_but_still_reads(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    with pytest.raises(NoHistory, match=r"no history recorded at .*history\.db yet"):
        HistoryStore.open(HistoryConfig(path=db, enabled=False))
    assert not db.exists()
    Recording(db, feed("btc")).close()
    off = HistoryStore.open(HistoryConfig(path=db, enabled=False))
    assert (off.read_only, off.owner, off.notice, off.flush()) == (True, None, None, 0)
    assert len(off.sessions()) == 1
    off.close()


def test_headless_warns_when_another_process_records(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    owner = HistoryStore.open(HistoryConfig(path=db))
    proc = headless(tmp_path, db, "1s", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    try:
        line = proc.stderr.readline()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        owner.close()
    assert "WARNING" in line
    assert f"history: {db} is being recorded by pid {os.getpid()}" in line
    assert proc.returncode == 0
    assert count(db, "sessions") == 0 and count(db, "events") == 0


def test_a_clean_close_folds_the_wal_back_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    r = Recording(path, feed("a"))
    for n in range(200):
        r.emit(n, "a", EventKind.ERROR, reason=f"n{n}")
    r.store.flush()
    assert path.with_name("history.db-wal").exists()  # WAL mode, while it runs
    r.close()
    assert not path.with_name("history.db-wal").exists()
    assert count(path, "events") == 200
