"""The paths content signals read, on a fake clock: event_time lists, and a path that reads
nothing in a whole minute of data (config_mismatch)."""

from __future__ import annotations

import pytest

from feedwatch.config.model import SequenceRange
from feedwatch.engine.events import Event, EventKind
from feedwatch.engine.mismatch import MISMATCH_AFTER
from feedwatch.tui.screens.detail_text import stats_facts
from tests.config_text import feed, load, problem
from tests.content_harness import Harness

DERIBIT_TIMES = ("params.data.timestamp", "params.data.0.timestamp")


def ticker(h: Harness, age: float) -> None:
    """A Deribit ticker notification: params.data is an object."""
    stamp = h.now_ms - round(age * 1000)
    data = {"instrument_name": "BTC-PERPETUAL", "timestamp": stamp, "last_price": 64000.5}
    h.send(
        jsonrpc="2.0",
        method="subscription",
        params={"channel": "ticker.BTC-PERPETUAL.raw", "data": data},
    )


def trades(h: Harness, age: float) -> None:
    """A Deribit trades notification: params.data is a list of fills."""
    stamp = h.now_ms - round(age * 1000)
    fill = {"trade_seq": 1, "timestamp": stamp, "price": 64000.5, "direction": "buy"}
    h.send(
        jsonrpc="2.0",
        method="subscription",
        params={"channel": "trades.BTC-PERPETUAL.raw", "data": [fill]},
    )


def mismatches(h: Harness) -> list[Event]:
    return [e for e in h.of(EventKind.ERROR) if e.fields.get("kind") == "config_mismatch"]


# -- event_time lists -------------------------------------------------------------------------


def test_each_message_takes_its_time_from_the_first_path_that_reads_one() -> None:
    h = Harness(event_time=DERIBIT_TIMES)
    for _ in range(10):
        ticker(h, age=0.5)
        trades(h, age=2.0)
    assert h.content.lag_count == 20
    p50, worst = h.content.lag_summary()
    assert worst == pytest.approx(2.0)  # the trades' path read
    assert p50 is not None and p50 < 2.0  # and so did the tickers'


def test_with_one_path_the_other_shape_has_no_time() -> None:
    h = Harness(event_time="params.data.timestamp")
    ticker(h, age=0.5)
    trades(h, age=2.0)
    assert h.content.lag_count == 1


def test_an_unusable_value_at_the_first_path_falls_through_to_the_next() -> None:
    h = Harness(event_time=("ts", "E"))
    h.send(ts="soon", E=h.now_ms - 3000)
    assert h.content.lag_summary() == (pytest.approx(3.0), pytest.approx(3.0))


def test_an_event_time_list_loads_as_a_tuple() -> None:
    (f,) = load(feed(event_time='["params.data.timestamp", "params.data.0.timestamp"]')).feeds
    assert f.event_time == DERIBIT_TIMES


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[]", "event_time: expected at least one dotted JSON path, found []"),
        ('["E", "a..b"]', 'event_time[1]: expected a dotted JSON path like "data.E", found "a..b"'),
        ('["E", "E"]', 'event_time[1]: "E" is listed twice'),
        ('["E", 5]', "event_time[1]: expected a string, found 5"),
        ("5", "event_time: expected a dotted JSON path or a list of them, found 5"),
    ],
)
def test_event_time_list_mistakes_are_located(value: str, expected: str) -> None:
    message = problem(feed(event_time=value))
    assert message.startswith('feed "binance-btc": ')
    assert expected in message


# -- config_mismatch --------------------------------------------------------------------------


def test_a_path_that_reads_nothing_for_a_minute_is_one_config_mismatch() -> None:
    h = Harness(event_time="2.1")
    start = h.clock.monotonic()
    for n in range(600):  # 59.9 s of data at 10 a second
        h.clock.advance_to(start + n / 10)
        h.send(E=h.now_ms)
    assert mismatches(h) == []  # 59.9 s: not yet
    assert h.snapshot().notes == ()
    h.clock.advance_to(start + MISMATCH_AFTER)
    h.send(E=h.now_ms)  # a whole minute
    (event,) = mismatches(h)
    reason = 'event_time path "2.1" read nothing in 601 data messages over 60s'
    assert event.reason == reason
    assert event.fields == {
        "kind": "config_mismatch",
        "key": "event_time",
        "paths": ["2.1"],
        "messages": 601,
        "seconds": 60.0,
    }
    assert event.severity == "error"
    for _ in range(1200):  # two more minutes of the same: still one event
        h.clock.advance(0.1)
        h.send(E=h.now_ms)
    assert len(mismatches(h)) == 1
    assert h.snapshot().notes == (reason,)
    lines = stats_facts(h.snapshot()).plain.splitlines()
    assert lines[-1].split(maxsplit=1) == ["Config", reason]  # one line in the detail view


def test_a_path_that_reads_again_clears_the_note_and_may_mismatch_again() -> None:
    h = Harness(event_time="E")
    for _ in range(61):
        h.send(T=1)
        h.clock.advance(1)
    assert len(mismatches(h)) == 1
    h.send(E=h.now_ms)
    assert h.snapshot().notes == ()
    for _ in range(59):
        h.clock.advance(1)
        h.send(T=1)
    assert len(mismatches(h)) == 1  # the next run of nothing counts from its own start
    h.clock.advance(2)
    h.send(T=1)
    assert len(mismatches(h)) == 2


def test_a_path_that_reads_some_messages_is_no_mismatch() -> None:
    h = Harness(event_time=DERIBIT_TIMES)
    for n in range(600):
        if n % 50 == 0:  # a time every 50 s: never a whole minute without one
            ticker(h, age=0.1)
        else:
            h.send(jsonrpc="2.0", id=n, result="ok")  # answers carry no time
        h.clock.advance(1)
    assert mismatches(h) == []


def test_each_key_that_reads_nothing_is_its_own_mismatch() -> None:
    h = Harness(
        event_time=("T", "data.T"),
        sequence=SequenceRange(first="data.U", last="data.u"),
        value="c",
        frozen_after=30.0,
    )
    for n in range(70):
        h.send(E=h.now_ms, pu=n, c=n)
        h.clock.advance(1)
    found = {e.fields["key"]: e.reason for e in mismatches(h)}
    assert found == {
        "event_time": 'event_time paths "T", "data.T" read nothing in 61 data messages over 60s',
        "sequence": 'sequence paths "data.U", "data.u" read nothing in 61 data messages over 60s',
    }
    assert len(h.snapshot().notes) == 2


def test_data_that_is_not_json_reads_nothing() -> None:
    h = Harness(sequence="u")
    for _ in range(61):
        h.post(b"tick")
        h.clock.advance(1)
    (event,) = mismatches(h)
    assert event.fields["key"] == "sequence"


def test_a_minute_needs_data_in_it() -> None:
    h = Harness(event_time="E", stale_after=600.0)
    h.send(T=1)
    h.clock.advance(120)  # nothing arrives: no data to say the path is wrong
    assert mismatches(h) == []
