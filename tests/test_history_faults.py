"""The history file fails and feedwatch goes on.

A full disk (SQLite's own limit, the OS's file-size limit, a real full filesystem), a path
that cannot be written, a file that is not a history, a SIGTERM in the middle of a burst
of writes. In every case the feeds are still watched, the problem is said where a user
looks (stderr, the JSON lines, /health, /metrics, the dashboard's header), events the file
could not take are kept in memory and written once it can, and nothing printed or reported
written is missing from the file.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from textual.widgets import Static

from feedwatch.config.model import Config, HistoryConfig
from feedwatch.demo.behaviours import Ticker, recorder
from feedwatch.demo.session import Behaviour, Listener, Session
from feedwatch.demo.simulator import Simulator
from feedwatch.engine.clock import FakeClock
from feedwatch.engine.engine import Engine
from feedwatch.engine.events import Event, EventKind, Severity
from feedwatch.history import writer
from feedwatch.history.status import HistoryStatus
from feedwatch.history.store import HistoryStore
from feedwatch.outputs.http import server
from feedwatch.outputs.http.health import health_document
from feedwatch.outputs.http.metrics import make_registry
from feedwatch.runtime import open_history
from feedwatch.tui.factory import build_app
from tests.history_fixtures import ROOT, T0, Recording, feed, recovered, stale
from tests.live import free_port

# -- helpers -------------------------------------------------------------------


def fill_up(store: HistoryStore) -> None:
    """The file may grow no further: every write that needs a new page fails with SQLite's
    genuine SQLITE_FULL ("database or disk is full"). Call it while the writer is idle."""
    store.flush()
    db = store._writer._db  # type: ignore[union-attr]  # the writer's own connection
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    db.execute(f"PRAGMA max_page_count = {pages}")


def make_room(store: HistoryStore) -> None:
    store._writer._db.execute("PRAGMA max_page_count = 1073741823")  # type: ignore[union-attr]


def history_events(events: list[Event]) -> list[Event]:
    return [e for e in events if e.kind is EventKind.HISTORY]


def stored(db: Path, sql: str = "SELECT kind, reason FROM events ORDER BY id") -> list[Any]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def errors(r: Recording, count: int, at: float) -> None:
    for n in range(count):
        r.emit(at + n * 0.001, "btc", EventKind.ERROR, reason=f"bad frame {n}")


# -- in process: SQLite's own full disk ------------------------------------------


def test_a_full_file_keeps_events_in_memory_and_writes_them_once_there_is_room(
    tmp_path: Path,
) -> None:
    db = tmp_path / "history.db"
    r = Recording(db, feed("btc"))
    seen: list[Event] = []
    r.engine.bus.subscribe(seen.append)
    stale(r, 5, "btc")
    r.store.flush()
    fill_up(r.store)

    recovered(r, 20, "btc")
    errors(r, 600, at=21)  # more than one batch
    r.store.flush()
    status = r.store.status
    assert status is not None and not status.ok
    assert status.problem == "database or disk is full"
    assert status.held == 601 and status.lost == 0
    r.clock.advance(1.0)  # the store reports on the engine's loop, once a second
    (warning,) = history_events(seen)
    assert warning.feed == "" and warning.severity is Severity.WARNING
    assert warning.fields["active"] is True and warning.fields["path"] == str(db)
    assert warning.describe().startswith(
        f"history: cannot write {db}: database or disk is full — monitoring continues; "
    )
    assert "events not recorded" in warning.describe()

    for _ in range(3):  # every retry fails, and none of them says it again
        r.store.flush()
        r.clock.advance(1.0)
    assert len(history_events(seen)) == 1
    status = r.store.status
    assert status is not None and status.write_errors >= 4
    assert r.store.events()[-1].kind is EventKind.STALE  # what was written still reads

    make_room(r.store)
    r.store.flush()
    r.clock.advance(1.0)
    warning, back = history_events(seen)
    assert back.fields["active"] is False and back.severity is Severity.INFO
    assert back.describe().startswith(f"history: writing {db} again after ")
    assert "events kept in memory are now recorded" in back.describe()
    r.store.flush()
    assert r.store.status == HistoryStatus(db, write_errors=status.write_errors)
    assert r.store.feeds() == ["btc"]  # feedwatch's own events are not a feed
    r.close()

    kinds = [kind for kind, _ in stored(db)]
    # Nothing lost, nothing twice, in the order it happened; the warning is in it too.
    assert kinds == ["stale", "recovered", *["error"] * 600, "history", "history"]
    reasons = [reason for kind, reason in stored(db) if kind == "error"]
    assert reasons == [f"bad frame {n}" for n in range(600)]
    with sqlite3.connect(db) as conn:  # the incident the held events closed is closed
        assert conn.execute("SELECT start, end FROM incidents").fetchall() == [(T0 + 5, T0 + 20)]
        assert conn.execute("SELECT end IS NOT NULL FROM sessions").fetchone() == (1,)
    assert integrity(db) == "ok"


def test_memory_stays_bounded_while_the_file_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "MAX_BACKLOG", 100)
    db = tmp_path / "history.db"
    r = Recording(db, feed("btc"))
    fill_up(r.store)
    errors(r, 150, at=10)
    r.store.flush()
    status = r.store.status
    assert status is not None and (status.held, status.lost) == (100, 50)  # the newest refused
    assert r.store.dropped == 50
    make_room(r.store)
    r.store.flush()
    r.clock.advance(1.0)
    r.close()
    reasons = [reason for kind, reason in stored(db) if kind == "error"]
    assert reasons == [f"bad frame {n}" for n in range(100)]
    (_, back) = [reason for kind, reason in stored(db) if kind == "history"]
    assert back.endswith("; 50 events were lost")


def test_an_event_sqlite_cannot_store_is_repaired_and_its_batch_kept(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    r = Recording(db, feed("btc"))
    errors(r, 3, at=10)
    # Undecodable bytes from a file name or a frame, decoded with surrogateescape.
    r.emit(11, "btc", EventKind.ERROR, reason="cannot read /data/\udcff.log",
           fields={"path": "/data/\udcff.log"})  # fmt: skip
    errors(r, 2, at=12)
    assert r.store.flush() == 6
    r.close()
    reasons = [reason for _, reason in stored(db)]
    assert reasons[3] == "cannot read /data/\\udcff.log"
    assert len(reasons) == 6
    status = r.store.status
    assert status is not None and status.ok and status.lost == 0


def test_an_unforeseen_failure_drops_only_the_item_that_causes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = writer.event_row

    def poisoned(event: Event) -> Any:
        if event.reason == "poison":
            raise TypeError("cannot encode")
        return real(event)

    monkeypatch.setattr(writer, "event_row", poisoned)
    monkeypatch.setattr(writer, "repaired", lambda event: event)
    db = tmp_path / "history.db"
    r = Recording(db, feed("btc"))
    errors(r, 3, at=10)
    r.emit(11, "btc", EventKind.ERROR, reason="poison")
    errors(r, 2, at=12)
    assert r.store.flush() == 5
    status = r.store.status
    assert status is not None and status.ok and status.lost == 1
    r.close()
    assert [reason for _, reason in stored(db)] == [f"bad frame {n}" for n in (0, 1, 2, 0, 1)]


# -- /health and /metrics ------------------------------------------------------------


FAILING = HistoryStatus(
    Path("/var/lib/feedwatch/history.db"),
    ok=False,
    problem="database or disk is full",
    since=T0,
    held=12,
    lost=3,
    write_errors=7,
)


def test_health_reports_the_history_without_turning_503() -> None:
    engine = Engine(Config(feeds=(feed("btc"),)), clock=FakeClock())
    monitor = engine.worker("btc").monitor
    monitor.start()
    monitor.on_connected(1, "ws://127.0.0.1:1/btc")
    monitor.on_data(10, None, b"{}")

    status, body = health_document(engine.snapshot(), lambda _, text: text, FAILING)
    assert status == 200 and body["status"] == "ok"  # the feeds are fine: so is /health
    assert body["history"] == {
        "ok": False,
        "path": "/var/lib/feedwatch/history.db",
        "error": "database or disk is full",
        "since": T0,
        "held": 12,
        "lost": 3,
        "write_errors": 7,
    }
    _, without = health_document(engine.snapshot(), lambda _, text: text)
    assert "history" not in without  # no history recorded: the document is as before


def test_metrics_count_history_write_errors_and_lost_events() -> None:
    from prometheus_client import generate_latest

    text = generate_latest(make_registry(list, history=lambda: FAILING)).decode()
    assert "feedwatch_history_ok 0.0" in text
    assert "feedwatch_history_write_errors_total 7.0" in text
    assert "feedwatch_history_events_lost_total 3.0" in text
    assert "feedwatch_history_events_held 12.0" in text
    assert "feedwatch_history" not in generate_latest(make_registry(list)).decode()


@pytest.mark.skipif(
    "history" not in inspect.signature(server.make_app).parameters,
    reason="server.make_app does not pass the history status to /health and /metrics yet",
)
async def test_the_http_server_serves_the_history_status(tmp_path: Path) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    engine = Engine(Config(feeds=()), clock=FakeClock())
    app = server.make_app(engine, history=lambda: FAILING)  # type: ignore[call-arg]
    async with TestClient(TestServer(app)) as client:
        health = await client.get("/health")
        assert health.status == 200
        assert (await health.json())["history"]["error"] == "database or disk is full"
        metrics = await (await client.get("/metrics")).text()
        assert "feedwatch_history_events_lost_total 3.0" in metrics


# -- the dashboard -------------------------------------------------------------------


def header(app: Any) -> str:
    return str(app.screen.query_one("#status", Static).render())


async def test_the_dashboard_header_warns_while_history_cannot_be_written(
    tmp_path: Path,
) -> None:
    db = tmp_path / "history.db"
    clock = FakeClock(start=1000.0, wall_offset=T0 - 1000.0)
    engine = Engine(Config(feeds=(feed("btc"),)), clock=clock)
    store = HistoryStore.open(HistoryConfig(path=db), now=clock.time)
    store.attach(engine)
    app = build_app(Config(feeds=(feed("btc"),)), engine=engine, start_engine=False,
                    history=store, source="config: feedwatch.toml")  # fmt: skip
    try:
        async with app.run_test(size=(160, 30)) as pilot:
            await pilot.pause()
            assert "history" not in header(app)  # all is well: the header is as it always was
            fill_up(store)
            big = "x" * 20_000  # needs pages the file cannot have
            engine.bus.emit(Event(clock.time(), "btc", EventKind.ERROR, reason=big))
            store.flush()
            clock.advance(1.0)
            for _ in range(50):  # a few refresh ticks; more on a loaded machine
                await pilot.pause(0.1)
                if "history not recorded" in header(app):
                    break
            assert "⚠ history not recorded: database or disk is full" in header(app)
            (note,) = [n for n in app._notifications if n.title == "History not recorded"]
            assert note.message.startswith(f"cannot write {db}: database or disk is full")
            assert note.severity == "warning"
            log = [line.text for line in app.event_log.lines]
            assert any(line.endswith(f"history: cannot write {db}: database or disk is full"
                                     " — monitoring continues; 1 event not recorded (1 kept in "
                                     "memory until it can write)") for line in log)  # fmt: skip

            make_room(store)
            store.flush()
            clock.advance(1.0)
            for _ in range(50):
                await pilot.pause(0.1)
                if "history" not in header(app):
                    break
            assert "history" not in header(app)
            titles = [n.title for n in app._notifications]
            assert titles.count("History not recorded") == 1 and "History" in titles
    finally:
        store.close()
    assert [kind for kind, _ in stored(db)] == ["error", "history", "history"]


async def test_the_dashboard_says_when_history_cannot_be_opened(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    db.write_bytes(os.urandom(8192))  # not SQLite
    store = open_history(HistoryConfig(path=db))
    assert store is not None
    clock = FakeClock(start=1000.0, wall_offset=T0 - 1000.0)
    engine = Engine(Config(feeds=(feed("btc"),)), clock=clock)
    store.attach(engine)
    app = build_app(Config(feeds=(feed("btc"),)), engine=engine, start_engine=False,
                    history=store)  # fmt: skip
    async with app.run_test(size=(220, 30)) as pilot:
        await pilot.pause()
        assert f"⚠ history not recorded: {db} is not a feedwatch" in header(app)
        (note,) = [n for n in app._notifications if n.title == "History not recorded"]
        assert "move it aside, or set [history] path to another file" in note.message
        assert app.table.uptime is None  # no uptime column: there is no history to read
        # Not mistaken for a history another process writes.
        assert not any("written by" in n.message for n in app._notifications)
    store.close()


# -- opening: paths that cannot be recorded to ------------------------------------------


def test_a_file_that_is_not_sqlite_is_left_untouched_and_named(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    junk = os.urandom(8192)
    db.write_bytes(junk)
    store = open_history(HistoryConfig(path=db))
    assert store is not None
    engine = Engine(Config(feeds=(feed("btc"),)), clock=FakeClock())
    seen: list[Event] = []
    engine.bus.subscribe(seen.append)
    store.attach(engine)
    engine.bus.emit(Event(1.0, "btc", EventKind.ERROR, reason="not kept"))
    (warning,) = history_events(seen)
    assert warning.describe() == (
        f"history: {db} is not a feedwatch history file (file is not a database); it is "
        "left as it is: move it aside, or set [history] path to another file — monitoring "
        "continues; nothing is recorded this run"
    )
    status = store.status
    assert status is not None and not status.ok and not status.recording and status.lost == 1
    assert store.events() == [] and store.last_data() == {} and store.read_only
    store.close()
    assert db.read_bytes() == junk


def test_a_folder_that_is_a_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("not a folder")
    store = open_history(HistoryConfig(path=tmp_path / "state" / "history.db"))
    assert store is not None and store.status is not None
    assert store.status.problem == (
        f"cannot open {tmp_path}/state/history.db.lock: {tmp_path}/state is a file, not a folder"
    )
    store.close()


# -- real processes ---------------------------------------------------------------------


class Skipping(Behaviour):
    """Numbered messages as fast as the socket takes them, every other number missing:
    each one a gap event, so a flood of history writes."""

    def start(self, session: Session) -> Listener:
        session.spawn(self._send(session))
        return recorder(session)

    async def _send(self, session: Session) -> None:
        n = 0
        while True:
            for _ in range(20):
                n += 2
                await session.send(f'{{"seq":{n}}}', data=True)
            await asyncio.sleep(0)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=3) as simulator:
        simulator.add("/ticker", Ticker(rate=40, require_subscribe=False))
        simulator.add("/gaps", Skipping())
        yield simulator


def write_config(folder: Path, history: Path | str, url: str, extra: str = "") -> Path:
    config = folder / "feedwatch.toml"
    config.write_text(
        f'{extra}[history]\npath = "{history}"\n\n'
        f'[[feeds]]\nname = "ticker"\nurl = "{url}"\nstale_after = "300ms"\n'
    )
    return config


class Child:
    """A feedwatch process as a user runs it: its JSON lines read as they come, its stderr
    collected aside (so neither pipe ever fills)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[dict[str, Any]] = []
        self.stderr = ""
        assert proc.stderr is not None
        self._stderr = asyncio.ensure_future(proc.stderr.read())

    @classmethod
    async def start(cls, *command: str | Path) -> Child:
        proc = await asyncio.create_subprocess_exec(
            *map(str, command), cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        return cls(proc)

    async def next(self, want: Callable[[dict[str, Any]], bool], timeout: float = 10) -> Any:
        assert self.proc.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                line = await self.proc.stdout.readline()
                assert line, f"feedwatch closed stdout; stderr: {await self._stderr!r}"
                doc = json.loads(line)
                self.lines.append(doc)
                if want(doc):
                    return doc

    async def stop(self) -> int:
        """SIGTERM; every line it still prints is kept; its exit status."""
        assert self.proc.stdout is not None
        self.proc.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(self.proc.stdout.read(), 30)
        self.lines += [json.loads(line) for line in rest.splitlines()]
        code = await asyncio.wait_for(self.proc.wait(), 30)
        self.stderr = (await self._stderr).decode()
        return code

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()


def event(kind: str, **match: Any) -> Callable[[dict[str, Any]], bool]:
    return lambda doc: doc["event"] == kind and all(doc.get(k) == v for k, v in match.items())


async def get_json(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


def served_history(body: dict[str, Any]) -> dict[str, Any] | None:
    """/health's history object, or None while server.py does not pass it on yet."""
    wired = "history" in inspect.signature(server.make_app).parameters
    return body["history"] if wired else None


FEEDWATCH = (sys.executable, "-m", "feedwatch")

# feedwatch with a switch for its file-size limit: SIGUSR1 fills the disk (every write past
# the first byte of any file fails with EFBIG, as the OS does for RLIMIT_FSIZE), SIGUSR2
# empties it again.
LIMITED = textwrap.dedent("""
    import resource, signal, sys
    from feedwatch.cli import main

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write, do not kill the process
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)

    def limit(size):
        return lambda *_: resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))

    signal.signal(signal.SIGUSR1, limit(1))
    signal.signal(signal.SIGUSR2, limit(hard))
    sys.exit(main(sys.argv[1:]))
""")


async def test_headless_goes_on_when_the_os_refuses_to_grow_the_file_and_catches_up(
    sim: Simulator, tmp_path: Path
) -> None:
    db = tmp_path / "history.db"
    port = free_port()
    config = write_config(tmp_path, db, sim.url("/ticker"),
                          f'[server]\nlisten = "127.0.0.1:{port}"\n\n')  # fmt: skip
    child = await Child.start(sys.executable, "-c", LIMITED, "--config", config, "--headless")
    try:
        await child.next(event("connected"))
        child.proc.send_signal(signal.SIGUSR1)  # the disk is full
        warning = await child.next(event("history", active=True))
        assert warning["feed"] == ""
        assert warning["reason"].startswith(f"cannot write {db}: disk I/O error — monitoring ")
        status, body = await get_json(f"http://127.0.0.1:{port}/health")
        assert status == 200  # the feed is live: a full disk does not page anyone
        if (history := served_history(body)) is not None:
            assert history["ok"] is False and history["error"] == "disk I/O error"

        sim.stall("/ticker")  # the feeds are still watched
        stale_event = await child.next(event("stale", feed="ticker"))
        sim.resume("/ticker")
        await child.next(event("recovered", feed="ticker"))

        child.proc.send_signal(signal.SIGUSR2)  # room again
        back = await child.next(event("history", active=False), timeout=15)
        assert back["reason"].startswith(f"writing {db} again after ")
        assert back["lost"] == 0
        status, body = await get_json(f"http://127.0.0.1:{port}/health")
        if (history := served_history(body)) is not None:
            assert history["ok"] is True and history["error"] is None
        assert await child.stop() == 0
    finally:
        child.kill()
    assert "Traceback" not in child.stderr
    assert f"WARNING history: cannot write {db}: disk I/O error" in child.stderr
    assert f"INFO    history: writing {db} again after " in child.stderr
    # What happened while the disk was full is in the file, in order.
    kinds = [kind for kind, _ in stored(db)]
    assert kinds.index("stale") > kinds.index("history")
    with sqlite3.connect(db) as conn:
        (ts,) = conn.execute("SELECT ts FROM events WHERE kind = 'stale'").fetchone()
        assert round(ts, 6) == stale_event["ts"]
        assert conn.execute("SELECT count(*) FROM sessions WHERE end IS NULL").fetchone() == (0,)
    assert integrity(db) == "ok"


def can_mount() -> bool:
    """Root with a mount namespace of its own (unshare -m), as in CI containers run as root."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


needs_mount = pytest.mark.skipif(
    not can_mount(), reason="needs root and unshare -m to mount a filesystem of its own"
)


@needs_mount
async def test_headless_on_a_filesystem_that_fills_up_goes_on_and_catches_up(
    sim: Simulator, tmp_path: Path
) -> None:
    folder = tmp_path / "small"
    folder.mkdir()
    db = folder / "history.db"
    config = write_config(tmp_path, db, sim.url("/ticker"))
    # A 256 KiB tmpfs over the folder, seen only by feedwatch (its own mount namespace).
    mount = 'mount -t tmpfs -o size=256k tmpfs "$0" && exec "$@"'
    child = await Child.start(
        "unshare", "-m", "sh", "-c", mount, folder, *FEEDWATCH, "--config", config, "--headless"
    )
    try:
        await child.next(event("connected"))
        inside = Path(f"/proc/{child.proc.pid}/root") / folder.relative_to("/")
        filler = inside / "filler"
        with open(filler, "wb", buffering=0) as out, pytest.raises(OSError, match="No space"):
            while True:
                out.write(b"\0" * 4096)
        warning = await child.next(event("history", active=True))
        assert warning["reason"].startswith(f"cannot write {db}: database or disk is full")
        sim.stall("/ticker")
        stale_event = await child.next(event("stale", feed="ticker"))
        filler.unlink()
        await child.next(event("history", active=False), timeout=15)
        # The stale event, held while the disk was full, is in the file now. (A copy is read:
        # SQLite would resolve /proc/<pid>/root to this process's own root.)
        for name in ("history.db", "history.db-wal"):
            shutil.copy(inside / name, tmp_path / name)
        found = stored(tmp_path / "history.db", "SELECT ts FROM events WHERE kind = 'stale'")
        assert [round(ts, 6) for (ts,) in found] == [stale_event["ts"]]
        assert await child.stop() == 0
    finally:
        child.kill()
    assert "Traceback" not in child.stderr
    assert f"WARNING history: cannot write {db}: database or disk is full" in child.stderr


@needs_mount
async def test_headless_on_a_read_only_filesystem_watches_without_history(
    sim: Simulator, tmp_path: Path
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "history.db"
    r = Recording(db, feed("ticker"))  # a history from an earlier run
    stale(r, 5, "ticker")
    r.close()
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    config = write_config(tmp_path, db, sim.url("/ticker"))
    mount = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    child = await Child.start(
        "unshare", "-m", "sh", "-c", mount, folder, *FEEDWATCH, "--config", config, "--headless"
    )
    try:
        warning = await child.next(event("history", active=True))
        assert warning["reason"] == (
            f"cannot open {db}.lock: Read-only file system — monitoring continues; "
            "nothing is recorded this run"
        )
        await child.next(event("connected"))
        sim.stall("/ticker")
        await child.next(event("stale", feed="ticker"))
        assert await child.stop() == 0
    finally:
        child.kill()
    assert "Traceback" not in child.stderr
    assert f"WARNING history: cannot open {db}.lock: Read-only file system" in child.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


async def test_headless_with_a_history_path_it_cannot_create_watches_without_history(
    sim: Simulator, tmp_path: Path
) -> None:
    (tmp_path / "state").write_text("a file where the folder should be")
    db = tmp_path / "state" / "history.db"
    config = write_config(tmp_path, db, sim.url("/ticker"))
    child = await Child.start(*FEEDWATCH, "--config", config, "--headless")
    try:
        warning = await child.next(event("history", active=True))
        assert f"{tmp_path}/state is a file, not a folder" in warning["reason"]
        await child.next(event("connected"))
        sim.stall("/ticker")
        await child.next(event("stale", feed="ticker"))
        assert await child.stop() == 0
    finally:
        child.kill()
    assert "Traceback" not in child.stderr
    assert f"WARNING history: cannot open {db}.lock: {tmp_path}/state is a file" in child.stderr


async def test_headless_leaves_a_file_that_is_not_a_history_alone(
    sim: Simulator, tmp_path: Path
) -> None:
    db = tmp_path / "history.db"
    junk = os.urandom(8192)
    db.write_bytes(junk)
    config = write_config(tmp_path, db, sim.url("/ticker"))
    child = await Child.start(*FEEDWATCH, "--config", config, "--headless")
    try:
        warning = await child.next(event("history", active=True))
        assert warning["reason"].startswith(f"{db} is not a feedwatch history file")
        assert "move it aside, or set [history] path to another file" in warning["reason"]
        await child.next(event("connected"))
        assert await child.stop() == 0
    finally:
        child.kill()
    assert "Traceback" not in child.stderr
    assert f"WARNING history: {db} is not a feedwatch history file" in child.stderr
    assert db.read_bytes() == junk


async def test_sigterm_mid_burst_exits_0_with_every_printed_event_in_the_file(
    sim: Simulator, tmp_path: Path
) -> None:
    db = tmp_path / "history.db"
    config = write_config(tmp_path, db, sim.url("/gaps"))
    with config.open("a") as more:
        more.write('sequence = "seq"\n')  # every message a gap event
    child = await Child.start(*FEEDWATCH, "--config", config, "--headless",
                              "--log-level", "error")  # fmt: skip
    try:
        for _ in range(3000):  # well into the flood: batches are being written
            await child.next(lambda doc: True)
        assert await child.stop() == 0
    finally:
        child.kill()
    assert "Traceback" not in child.stderr
    printed = sorted(
        (doc["ts"], doc["event"], doc.get("got")) for doc in child.lines if doc["feed"] == "ticker"
    )
    assert sum(kind == "gap" for _, kind, _ in printed) >= 2900
    rows = stored(db, "SELECT ts, kind, fields FROM events ORDER BY id")
    kept = sorted((round(ts, 6), kind, json.loads(fields).get("got")) for ts, kind, fields in rows)
    assert kept == printed  # each printed event, once; nothing the user did not see
    with sqlite3.connect(db) as conn:
        (end,) = conn.execute("SELECT end FROM sessions").fetchone()
    assert end is not None and end >= printed[-1][0] - 0.001
    assert integrity(db) == "ok"
