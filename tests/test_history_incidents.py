"""Incidents, sessions and last data times as the history store derives and keeps them."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedwatch.config.model import HistoryConfig
from feedwatch.engine.events import EventKind
from feedwatch.history.store import HistoryStore
from tests.history_fixtures import (
    T0,
    Recording,
    connected,
    disconnected,
    down,
    feed,
    reconnecting,
    recovered,
    stale,
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "history.db"


def test_stale_then_three_reconnects_then_recovered_is_one_incident(db: Path) -> None:
    r = Recording(db, feed("btc"))
    stale(r, 10, "btc")
    for attempt in (1, 2, 3):
        disconnected(r, 10 + 5 * attempt, "btc")
        reconnecting(r, 10 + 5 * attempt, "btc", attempt)
        connected(r, 11 + 5 * attempt, "btc")
    recovered(r, 42.5, "btc")
    stale(r, 100, "btc")  # a second outage, still open
    r.store.flush()

    first, second = r.store.incidents()
    assert (first.feed, first.channel, first.kind) == ("btc", None, "stale")
    assert (first.start, first.end) == (T0 + 10, T0 + 42.5)
    assert first.duration_seconds == pytest.approx(32.5)
    assert first.cause == "no data for 5s"
    assert first.reconnects == 3
    assert (second.start, second.end, second.duration_seconds) == (T0 + 100, None, None)
    assert second.to_json() == {
        "feed": "btc", "channel": None, "kind": "stale", "start": T0 + 100, "end": None,
        "duration_seconds": None, "cause": "no data for 5s", "reconnects": 0,
    }  # fmt: skip
    r.close()


def test_a_channel_going_stale_is_an_incident_of_that_channel_only(db: Path) -> None:
    r = Recording(db, feed("mux", channel_key="ch"))
    stale(r, 5, "mux", channel="eth")
    reconnecting(r, 6, "mux", 1)
    recovered(r, 25, "mux", channel="eth")
    r.store.flush()

    (incident,) = r.store.incidents()
    assert (incident.feed, incident.channel, incident.kind) == ("mux", "eth", "stale")
    assert incident.duration_seconds == pytest.approx(20)
    assert incident.cause == "no data on channel for 5s"
    assert incident.reconnects == 1  # the feed reconnected while the channel was out
    r.close()


def test_a_partial_feed_is_an_incident_of_the_feed_until_its_verdict_moves_on(db: Path) -> None:
    r = Recording(db, feed("mux", channel_key="ch"))

    def verdict(at: float, state: str, previous: str, reason: str | None = None) -> None:
        fields = {"state": state, "previous": previous}
        r.emit(at, "mux", EventKind.STATE, reason=reason, fields=fields)

    cause = "1 of 2 channels live; stale: sol"
    stale(r, 5, "mux", channel="sol")
    verdict(5, "partial", "live", cause)
    # It reconnects, and the channel is still stale: the same incident goes on.
    disconnected(r, 6, "mux", reason="stale channel sol")
    verdict(6, "backoff", "partial")
    reconnecting(r, 6, "mux", 1)
    verdict(6.5, "connecting", "backoff")
    verdict(7, "partial", "connecting", cause)
    verdict(10, "stale", "partial")  # the whole feed now: its stale incident says it
    verdict(12, "partial", "stale", cause)
    verdict(15, "live", "partial")
    r.store.flush()

    channel, first, second = r.store.incidents()
    assert (channel.channel, channel.kind, channel.end) == ("sol", "stale", None)
    assert (first.feed, first.channel, first.kind, first.cause) == ("mux", None, "partial", cause)
    assert (first.start, first.end, first.reconnects) == (T0 + 5, T0 + 10, 1)
    assert (second.kind, second.start, second.end) == ("partial", T0 + 12, T0 + 15)
    r.close()


def test_down_lasts_from_the_down_event_to_the_next_connect(db: Path) -> None:
    r = Recording(db, feed("iot"))
    disconnected(r, 0, "iot", reason="connection refused")
    for attempt in range(1, 5):
        reconnecting(r, 30 * attempt, "iot", attempt)
    down(r, 120, "iot", True, "connection refused")
    reconnecting(r, 150, "iot", 5)
    connected(r, 300, "iot")
    down(r, 300, "iot", False, "ended: connected again")
    r.store.flush()

    (incident,) = r.store.incidents()
    assert (incident.kind, incident.start, incident.end) == ("down", T0 + 120, T0 + 300)
    assert incident.cause == "connection refused"
    assert incident.reconnects == 1  # only those while it was down
    r.close()


def test_storms_silences_and_alerts_are_not_incidents(db: Path) -> None:
    r = Recording(db, feed("flappy"))
    r.emit(1, "flappy", EventKind.STORM, reason="6 reconnects", fields={"active": True})
    r.emit(2, "flappy", EventKind.SILENCE, reason="no data for 1m", fields={"active": True})
    r.emit(3, "flappy", EventKind.STORM, reason="quiet", fields={"active": False})
    r.store.flush()
    assert r.store.incidents() == []
    assert len(r.store.events()) == 3  # but every event is kept
    r.close()


def test_pausing_a_feed_ends_its_incidents(db: Path) -> None:
    r = Recording(db, feed("btc"))
    stale(r, 10, "btc")
    r.emit(20, "btc", EventKind.DISCONNECTED, reason="paused by user", fields={"paused": True})
    r.store.flush()
    (incident,) = r.store.incidents()
    assert incident.end == T0 + 20
    r.close()


def test_an_incident_open_at_exit_is_continued_and_closed_by_the_next_session(db: Path) -> None:
    first = Recording(db, feed("btc"))
    stale(first, 10, "btc")
    first.close()  # the process stops with the feed stale
    reader = HistoryStore.open(HistoryConfig(path=db), record=False)
    (open_,) = reader.incidents()
    assert open_.end is None
    reader.close()

    second = Recording(db, feed("btc"), at=T0 + 3600)
    stale(second, 30, "btc")  # the restored age makes it stale again: the same incident
    reconnecting(second, 31, "btc", 1)
    second.engine.worker("btc").monitor.on_data(10, None, b"{}")  # data at T0 + 3631
    second.clock.advance(1.0)  # the store samples last data once a second
    second.store.flush()

    (incident,) = second.store.incidents()
    assert (incident.start, incident.end) == (T0 + 10, T0 + 3631)
    assert incident.reconnects == 1
    second.close()


def test_a_feed_left_out_of_the_config_has_its_incident_closed_at_the_last_session_end(
    db: Path,
) -> None:
    first = Recording(db, feed("old"), feed("btc"))
    stale(first, 10, "old")
    first.clock.advance(50)
    first.close()  # the session ends at T0 + 60
    second = Recording(db, feed("btc"), at=T0 + 3600)
    second.store.flush()
    (incident,) = second.store.incidents()
    assert incident.end == T0 + 60
    second.close()


def test_sessions_run_from_attach_to_close_and_the_current_one_to_now(db: Path) -> None:
    first = Recording(db, feed("btc"))
    first.clock.advance(600)
    first.close()
    second = Recording(db, feed("btc"), at=T0 + 3600)
    second.clock.advance(60)
    assert second.store.sessions() == [(T0, T0 + 600), (T0 + 3600, T0 + 3660)]
    assert second.store.sessions(since=T0 + 300, until=T0 + 3630) == [
        (T0 + 300, T0 + 600),
        (T0 + 3600, T0 + 3630),
    ]
    second.close()
    reader = HistoryStore.open(HistoryConfig(path=db), record=False)
    assert reader.sessions()[-1] == (T0 + 3600, T0 + 3660)
    reader.close()


def test_last_data_times_are_kept_per_feed_and_channel_to_the_second(db: Path) -> None:
    r = Recording(db, feed("mux", channel_key="ch"), feed("quiet"))
    monitor = r.engine.worker("mux").monitor
    r.clock.advance(2.25)
    monitor.on_data(10, "eth", b"{}")  # T0 + 2.25
    r.clock.advance(0.5)
    monitor.on_data(10, "btc", b"{}")  # T0 + 2.75
    r.clock.advance(0.5)  # the 3 s sample sees both
    r.store.flush()
    assert r.store.last_data() == pytest.approx(
        {("mux", None): T0 + 2.75, ("mux", "eth"): T0 + 2.25, ("mux", "btc"): T0 + 2.75}
    )
    r.clock.advance(0.1)
    monitor.on_data(10, "eth", b"{}")  # T0 + 3.35, between samples: kept at close
    r.close()
    reader = HistoryStore.open(HistoryConfig(path=db), record=False)
    assert reader.last_data()[("mux", "eth")] == pytest.approx(T0 + 3.35)
    assert ("quiet", None) not in reader.last_data()  # never any data
    reader.close()


def test_events_read_back_by_feed_and_window_newest_last(db: Path) -> None:
    r = Recording(db, feed("a"), feed("b"))
    for n in range(10):
        stale(r, n, "a" if n % 2 else "b")
    r.store.flush()
    assert [e.ts - T0 for e in r.store.events(feed="a")] == [1, 3, 5, 7, 9]
    assert [e.ts - T0 for e in r.store.events(since=T0 + 3, until=T0 + 6)] == [3, 4, 5]
    assert [e.ts - T0 for e in r.store.events(limit=3)] == [7, 8, 9]
    (event,) = r.store.events(feed="b", limit=1)
    assert event.to_json() == {
        "ts": T0 + 8, "feed": "b", "event": "stale", "reason": "no data for 5s",
        "age_seconds": 5.0, "stale_after_seconds": 5.0, "connected": True,
        "last_heartbeat_age_seconds": None,
    }  # fmt: skip
    r.close()
