"""Sequence ranges and links on a fake clock: update ids per message, per channel."""

from __future__ import annotations

import json
from typing import Any

import pytest

from feedwatch.config.model import SequenceLink, SequenceRange
from feedwatch.engine.events import EventKind
from feedwatch.engine.verdict import State
from tests.config_text import feed, load, problem
from tests.content_harness import Harness

SPOT_DEPTH = SequenceRange(first="data.U", last="data.u")
OKX_BOOKS = SequenceLink(prev="data.0.prevSeqId", id="data.0.seqId")


def depth(h: Harness, symbol: str, first: int, last: int) -> None:
    """A Binance spot depthUpdate on a combined stream."""
    h.send(
        stream=f"{symbol.lower()}@depth",
        data={
            "e": "depthUpdate",
            "E": h.now_ms,
            "s": symbol,
            "U": first,
            "u": last,
            "b": [],
            "a": [],
        },
    )


def books(h: Harness, prev: int, seq: int, inst: str = "BTC-USDT") -> None:
    """An OKX books update."""
    doc: dict[str, Any] = {
        "arg": {"channel": "books", "instId": inst},
        "action": "update",
        "data": [
            {
                "asks": [],
                "bids": [],
                "ts": str(h.now_ms),
                "checksum": -855196043,
                "prevSeqId": prev,
                "seqId": seq,
            }
        ],
    }
    h.post(json.dumps(doc).encode())


# -- ranges { first, last } -------------------------------------------------------------------


def test_a_range_starting_right_after_the_last_one_is_no_gap() -> None:
    h = Harness(sequence=SPOT_DEPTH)
    for first, last in ((157, 160), (161, 165), (166, 166), (167, 190)):
        depth(h, "BNBBTC", first, last)
    assert h.of(EventKind.GAP) == []
    assert (h.content.missed_total, h.content.out_of_order) == (0, 0)


def test_a_range_that_skips_update_ids_counts_them_lost() -> None:
    h = Harness(sequence=SPOT_DEPTH)
    depth(h, "BNBBTC", 157, 160)
    depth(h, "BNBBTC", 166, 170)
    (gap,) = h.of(EventKind.GAP)
    assert gap.fields == {"missed": 5, "expected": 161, "got": 166}
    assert gap.describe() == "btc: gap (lost 5 update ids)"
    assert h.snapshot().missed_messages == 5
    assert h.state() is State.LIVE  # a gap is reported, not a verdict


def test_a_range_wholly_before_what_was_seen_is_a_replay_not_a_gap() -> None:
    h = Harness(sequence=SPOT_DEPTH)
    depth(h, "BNBBTC", 157, 160)
    depth(h, "BNBBTC", 161, 165)
    depth(h, "BNBBTC", 150, 156)  # replayed
    depth(h, "BNBBTC", 161, 165)  # a duplicate
    depth(h, "BNBBTC", 163, 168)  # overlaps: nothing lost
    depth(h, "BNBBTC", 169, 170)
    assert h.of(EventKind.GAP) == []
    assert (h.content.missed_total, h.content.out_of_order) == (0, 2)


def test_each_symbol_of_a_combined_stream_keeps_its_own_update_ids() -> None:
    h = Harness(sequence=SPOT_DEPTH, channel_key="stream")
    for n in range(5):
        depth(h, "BNBBTC", 100 + 10 * n, 109 + 10 * n)
        depth(h, "ETHBTC", 7000 + 3 * n, 7002 + 3 * n)
    assert h.of(EventKind.GAP) == []
    depth(h, "ETHBTC", 7020, 7025)  # 7015..7019 never came
    depth(h, "BNBBTC", 150, 151)
    (gap,) = h.of(EventKind.GAP)
    assert gap.channel == "ethbtc@depth"
    assert gap.fields == {"missed": 5, "expected": 7015, "got": 7020}
    assert gap.describe() == "btc/ethbtc@depth: gap (lost 5 update ids)"


def test_without_channel_key_one_expectation_spans_the_feed() -> None:
    h = Harness(sequence=SPOT_DEPTH)
    depth(h, "BNBBTC", 100, 109)
    depth(h, "ETHBTC", 7000, 7002)
    assert len(h.of(EventKind.GAP)) == 1  # why combined streams need channel_key


def test_channels_past_max_channels_are_not_tracked() -> None:
    h = Harness(sequence=SPOT_DEPTH, channel_key="stream", max_channels=1)
    depth(h, "BNBBTC", 100, 109)
    depth(h, "ETHBTC", 7000, 7002)
    depth(h, "ETHBTC", 9000, 9002)  # would be a gap, but this channel is not tracked
    depth(h, "BNBBTC", 120, 121)
    assert [g.channel for g in h.of(EventKind.GAP)] == ["bnbbtc@depth"]
    assert h.content.sequence is not None and h.content.sequence.untracked == 2
    assert set(h.content.sequence.expected) == {"bnbbtc@depth"}


def test_a_new_connection_starts_every_channel_afresh() -> None:
    h = Harness(sequence=SPOT_DEPTH, channel_key="stream")
    depth(h, "BNBBTC", 100, 109)
    depth(h, "ETHBTC", 7000, 7002)
    h.monitor.on_disconnected(1006, None, "dropped")
    h.monitor.on_connected(1, "ws://x")
    depth(h, "BNBBTC", 500, 501)
    depth(h, "ETHBTC", 1, 2)
    assert h.of(EventKind.GAP) == []


def test_a_range_gap_with_on_gap_reconnect_names_the_channel() -> None:
    h = Harness(sequence=SPOT_DEPTH, channel_key="stream", on_gap="reconnect")
    depth(h, "BNBBTC", 100, 109)
    depth(h, "BNBBTC", 112, 115)
    assert h.reconnects == ["sequence gap on bnbbtc@depth: lost 2"]


# -- links { prev, id } -----------------------------------------------------------------------


def test_okx_books_link_each_update_to_the_one_before() -> None:
    h = Harness(sequence=OKX_BOOKS, channel_key="arg.instId")
    books(h, -1, 123456)  # the snapshot's prevSeqId is -1
    books(h, 123456, 123457)
    books(h, 123457, 123457)  # nothing changed: prevSeqId == seqId, not a gap
    books(h, 123457, 123460)
    books(h, 123460, 123461)
    assert h.of(EventKind.GAP) == []
    books(h, 123470, 123475)  # 123461's successor never came
    (gap,) = h.of(EventKind.GAP)
    assert gap.channel == "BTC-USDT"
    assert gap.fields == {"missed": 9, "expected": 123461, "got": 123470}
    assert gap.reason == "prev 123470 does not follow 123461 (9 ids skipped)"


def test_a_linked_update_at_or_before_the_last_id_is_a_replay() -> None:
    h = Harness(sequence=SequenceLink(prev="data.pu", id="data.u"))
    h.send(data={"pu": 10, "u": 20})
    h.send(data={"pu": 20, "u": 30})
    h.send(data={"pu": 10, "u": 20})  # replayed
    h.send(data={"pu": 15, "u": 35})  # links back past 30: nothing known lost, resynced
    h.send(data={"pu": 35, "u": 40})
    assert h.of(EventKind.GAP) == []
    assert (h.content.missed_total, h.content.out_of_order) == (0, 2)


def test_ids_written_as_strings_count_and_other_values_are_skipped() -> None:
    h = Harness(sequence=SPOT_DEPTH)
    h.send(data={"U": "1", "u": "4"})
    h.send(data={"U": True, "u": 9})
    h.send(data={"U": "5", "u": "x"})
    h.send(data={"U": 5, "u": 6})
    assert h.of(EventKind.GAP) == []


# -- config -----------------------------------------------------------------------------------


def test_sequence_tables_load_as_ranges_and_links() -> None:
    (spot,) = load(feed(sequence='{ first = "data.U", last = "data.u" }')).feeds
    assert spot.sequence == SPOT_DEPTH
    (futures,) = load(feed(sequence='{ prev = "data.pu", id = "data.u" }')).feeds
    assert futures.sequence == SequenceLink(prev="data.pu", id="data.u")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            '{ first = "data.U" }',
            "sequence: { first, last } needs both keys, found only first (last is missing)",
        ),
        (
            '{ id = "data.u" }',
            "sequence: { prev, id } needs both keys, found only id (prev is missing)",
        ),
        (
            '{ first = "data.U", id = "data.u" }',
            "sequence: mixes two forms (first, id): write { first, last } when each message",
        ),
        (
            '{ frist = "data.U", last = "data.u" }',
            'unknown key "sequence.frist" (did you mean "sequence.first"?)',
        ),
        (
            '{ from = "data.U", last = "data.u" }',
            'unknown key "sequence.from" (expected { first = ..., last = ... } or',
        ),
        (
            "{}",
            "sequence: expected { first = ..., last = ... } or { prev = ..., id = ... }, found {}",
        ),
        (
            '{ first = 1, last = "data.u" }',
            'sequence.first: expected a dotted JSON path like "data.E", found 1',
        ),
        ("5", "sequence: expected a dotted JSON path, { first, last } or { prev, id }, found 5"),
    ],
)
def test_sequence_table_mistakes_are_located(value: str, expected: str) -> None:
    message = problem(feed(sequence=value))
    assert message.startswith('feed "binance-btc": ')
    assert expected in message
