"""Content signals on a fake clock: lag, sequence gaps, frozen values, planned closes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from feedwatch.config.model import MatcherSpec
from feedwatch.engine.classify import Classifier
from feedwatch.engine.content import LAG_ENTER, LAG_EXIT, event_seconds
from feedwatch.engine.events import EventKind
from feedwatch.engine.verdict import State
from feedwatch.transports.kind import Kind
from tests.config_text import feed, load, problem
from tests.content_harness import BASE, Harness

# -- lag ------------------------------------------------------------------------------------------


def test_lagging_starts_after_consecutive_old_messages_and_ends_with_hysteresis() -> None:
    h = Harness(event_time="E", max_lag=2.0)
    for _ in range(LAG_ENTER - 1):
        h.send(E=h.now_ms - 5000)
    assert h.state() is State.LIVE  # one or two late messages do not flap the state
    h.send(E=h.now_ms - 5000)
    (start,) = h.of(EventKind.LAGGING)
    assert start.fields == {"active": True, "lag_seconds": 5.0, "max_lag_seconds": 2.0}
    assert h.state() is State.LAGGING
    for _ in range(LAG_EXIT - 1):
        h.send(E=h.now_ms - 100)
    h.send(E=h.now_ms - 5000)  # a late one resets the count back under
    for _ in range(LAG_EXIT - 1):
        h.send(E=h.now_ms - 100)
    assert h.state() is State.LAGGING
    h.send(E=h.now_ms - 100)
    end = h.of(EventKind.LAGGING)[-1]
    assert end.fields["active"] is False
    assert end.severity == "info"
    assert h.state() is State.LIVE


def test_lag_p50_and_max_come_from_recent_messages() -> None:
    h = Harness(event_time="data.E")
    for lag_ms in (100, 200, 300, 4000):
        h.send(data={"E": h.now_ms - lag_ms})
    p50, worst = h.monitor.content.lag_summary()  # type: ignore[union-attr]
    assert p50 == pytest.approx(0.2)
    assert worst == pytest.approx(4.0)
    assert h.state() is State.LIVE  # no max_lag: measured, never lagging


@pytest.mark.parametrize(
    ("value", "unit", "seconds"),
    [
        (1_700_000_000_000, "ms", 1_700_000_000.0),
        (1_700_000_000, "s", 1_700_000_000.0),
        (1_700_000_000_000_000, "us", 1_700_000_000.0),
        (1_700_000_000_000_000_000, "ns", 1_700_000_000.0),
        ("1700000000000", "ms", 1_700_000_000.0),
        ("2023-11-14T22:13:20Z", "iso8601", 1_700_000_000.0),
        ("2023-11-14T22:13:20.500+00:00", "iso8601", 1_700_000_000.5),
        ("2023-11-14T23:13:20+01:00", "iso8601", 1_700_000_000.0),
        ("2023-11-14T22:13:20", "iso8601", 1_700_000_000.0),  # no zone: UTC
        ("yesterday", "iso8601", None),
        (True, "ms", None),
        ({"a": 1}, "ms", None),
    ],
)
def test_event_times_convert_from_every_unit(value: Any, unit: str, seconds: float | None) -> None:
    result = event_seconds(value, unit)
    assert result == (None if seconds is None else pytest.approx(seconds))


# -- sequence gaps --------------------------------------------------------------------------------


def test_a_sequence_gap_counts_the_missed_messages() -> None:
    h = Harness(sequence="u")
    for u in (100, 101, 102, 108, 109):
        h.send(u=u)
    (gap,) = h.of(EventKind.GAP)
    assert gap.fields == {"missed": 5, "expected": 103, "got": 108}
    assert "lost 5 messages" in gap.describe()
    assert h.monitor.content.missed_total == 5  # type: ignore[union-attr]
    assert h.reconnects == []  # on_gap = "report" by default


def test_duplicates_and_late_messages_are_not_gaps() -> None:
    h = Harness(sequence="u")
    for u in (1, 2, 2, 1, 3, 4):
        h.send(u=u)
    assert h.of(EventKind.GAP) == []
    content = h.monitor.content
    assert content is not None and (content.out_of_order, content.missed_total) == (2, 0)


def test_a_reset_after_reconnect_is_not_a_gap() -> None:
    h = Harness(sequence="u")
    h.send(u=500)
    h.monitor.on_disconnected(1006, None, "dropped")
    h.monitor.on_connected(1, "ws://x")
    h.send(u=1)
    h.send(u=2)
    assert h.of(EventKind.GAP) == []


def test_on_gap_reconnect_asks_for_a_resync() -> None:
    h = Harness(sequence="u", on_gap="reconnect")
    h.send(u=1)
    h.send(u=3)
    assert h.reconnects == ["sequence gap: lost 1"]


# -- frozen value ---------------------------------------------------------------------------------


def test_a_value_unchanged_while_data_flows_is_frozen_at_the_deadline() -> None:
    h = Harness(value="data.c", frozen_after=30.0)
    h.send(data={"c": "64000.1"})
    for _ in range(29):
        h.clock.advance(1)
        h.send(data={"c": "64000.1"})
    h.clock.advance(0.999)
    assert h.of(EventKind.FROZEN) == []
    h.clock.advance(0.001)
    (frozen,) = h.of(EventKind.FROZEN)
    assert frozen.fields == {"active": True, "value": "64000.1", "frozen_seconds": 30.0}
    assert h.state() is State.FROZEN
    h.clock.advance(5)
    h.send(data={"c": "64000.2"})
    ended = h.of(EventKind.FROZEN)[-1]
    assert ended.fields == {"active": False, "value": "64000.1", "frozen_seconds": 35.0}
    assert h.state() is State.LIVE


def test_a_changing_value_is_never_frozen() -> None:
    h = Harness(value="c", frozen_after=30.0)
    for i in range(100):
        h.send(c=i % 2)
        h.clock.advance(1)
    assert h.of(EventKind.FROZEN) == []


def test_silence_is_stale_not_frozen() -> None:
    h = Harness(value="c", frozen_after=10.0, stale_after=60.0)
    h.send(c=1)
    h.clock.advance(20)  # no data at all since the value was seen
    assert h.of(EventKind.FROZEN) == []
    h.send(c=1)  # data again, same value, well past the deadline: frozen now
    h.clock.advance(0)
    assert [e.fields["active"] for e in h.of(EventKind.FROZEN)] == [True]


def test_stale_outranks_frozen_and_lagging() -> None:
    h = Harness(value="c", frozen_after=5.0, event_time="E", max_lag=1.0, stale_after=30.0)
    for _ in range(LAG_ENTER):
        h.send(c=1, E=h.now_ms - 9000)
    assert h.state() is State.LAGGING
    h.clock.advance(6)
    h.send(c=1, E=h.now_ms - 9000)
    h.clock.advance(0)
    assert h.state() is State.FROZEN  # frozen outranks lagging
    h.clock.advance(30)
    assert h.state() is State.STALE


def test_pausing_ends_frozen_and_lagging_without_events() -> None:
    h = Harness(value="c", frozen_after=5.0, event_time="E", max_lag=1.0)
    for _ in range(LAG_ENTER):
        h.send(c=1, E=h.now_ms - 9000)
    h.clock.advance(6)
    h.send(c=1, E=h.now_ms - 9000)
    h.clock.advance(0)
    count = len(h.of(EventKind.FROZEN)) + len(h.of(EventKind.LAGGING))
    h.monitor.on_paused()
    assert h.state() is State.PAUSED
    h.monitor.on_resumed()
    assert len(h.of(EventKind.FROZEN)) + len(h.of(EventKind.LAGGING)) == count
    assert h.state() is not State.FROZEN and h.state() is not State.LAGGING


# -- planned closes -------------------------------------------------------------------------------


def test_planned_close_notices_are_their_own_kind() -> None:
    config = replace(BASE, planned_close=MatcherSpec(contains=('"e":"serverShutdown"',)))
    classifier = Classifier(config)
    assert classifier.classify(b'{"e":"serverShutdown","E":1}')[0] is Kind.PLANNED_CLOSE
    assert classifier.classify(b'{"e":"trade"}')[0] is Kind.DATA
    by_json = Classifier(replace(BASE, planned_close=MatcherSpec(json=(("code", "64008"),))))
    assert by_json.classify(b'{"event":"notice","code":"64008"}')[0] is Kind.PLANNED_CLOSE


def test_a_planned_disconnect_is_not_a_failure() -> None:
    h = Harness()
    h.monitor.on_planned_close(10, b"{}", "server announced a close")
    h.monitor.on_disconnected(None, None, "planned close", planned=True)
    h.monitor.on_reconnect_attempt(count_for_storm=False)
    assert h.of(EventKind.PLANNED_CLOSE)[0].reason == "server announced a close"
    assert h.of(EventKind.DISCONNECTED)[0].fields["planned"] is True
    assert h.monitor.down.since is None  # the down clock never started
    assert h.monitor.storm.count(h.clock.monotonic()) == 0


def test_non_json_data_still_counts_when_only_content_signals_need_json() -> None:
    classifier = Classifier(replace(BASE, sequence="u"))
    assert classifier.classify(b"not json")[0] is Kind.DATA


# -- config ---------------------------------------------------------------------------------------


def test_content_signal_keys_load() -> None:
    text = feed(
        event_time='"data.E"',
        event_time_unit='"iso8601"',
        max_lag='"2s"',
        sequence='"data.u"',
        on_gap='"reconnect"',
        value='"data.c"',
        frozen_after='"30s"',
    )
    text += '[feeds.planned_close]\ncontains = \'"e":"serverShutdown"\'\n'
    (f,) = load(text).feeds
    assert (f.event_time, f.event_time_unit, f.max_lag) == ("data.E", "iso8601", 2.0)
    assert (f.sequence, f.on_gap, f.value, f.frozen_after) == ("data.u", "reconnect", "data.c", 30)
    assert f.planned_close == MatcherSpec(contains=('"e":"serverShutdown"',))


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (
            {"event_time": '"E"', "event_time_unit": '"minutes"'},
            'event_time_unit: expected one of ms, s, us, ns, iso8601, found "minutes"',
        ),
        ({"event_time": '"E"', "max_lag": '"0s"'}, "max_lag: must be greater than zero"),
        ({"value": '"c"', "frozen_after": '"-1s"'}, "must not be negative"),
        (
            {"sequence": '"u"', "on_gap": '"panic"'},
            'on_gap: expected "report" or "reconnect", found "panic"',
        ),
        ({"frozen_after": '"30s"'}, "frozen_after: has no effect without value"),
        ({"value": '"c"'}, "value: has no effect without frozen_after"),
        ({"max_lag": '"2s"'}, "max_lag: has no effect without event_time"),
        ({"on_gap": '"reconnect"'}, "on_gap: has no effect without sequence"),
        ({"sequence": '"a..u"'}, 'sequence: expected a dotted JSON path like "data.E"'),
    ],
)
def test_content_signal_mistakes_are_located(keys: dict[str, str], expected: str) -> None:
    assert expected in problem(feed(**keys))
