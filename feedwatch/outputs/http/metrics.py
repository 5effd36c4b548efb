"""Prometheus metrics, collected from an engine snapshot at scrape time.

Following Prometheus conventions, feedwatch exports timestamps, not ages
(``time() - feedwatch_last_message_timestamp_seconds`` is the age), counters
with ``_total``, and seconds as the unit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from feedwatch.engine.snapshot import FeedSnapshot
from feedwatch.engine.verdict import State
from feedwatch.history.status import HistoryStatus

# Alert attempts by (alert channel name, outcome), e.g. ("ops-slack", "sent") -> 3.
AlertCounts = Callable[[], Mapping[tuple[str, str], int]]
# The history file's state, when this process records one.
HistoryHealth = Callable[[], HistoryStatus | None]


class EngineCollector(Collector):
    """Builds every metric family from one snapshot per scrape."""

    def __init__(
        self,
        sample: Callable[[], list[FeedSnapshot]],
        alerts: AlertCounts | None = None,
        history: HistoryHealth | None = None,
    ) -> None:
        self._sample = sample
        self._alerts = alerts
        self._history = history

    def collect(self) -> Iterator[Metric]:
        feeds = self._sample()
        last = GaugeMetricFamily(
            "feedwatch_last_message_timestamp_seconds",
            "Unix time of the last data message (heartbeats excluded)",
            labels=["feed"],
        )
        heartbeat = GaugeMetricFamily(
            "feedwatch_last_heartbeat_timestamp_seconds",
            "Unix time of the last heartbeat message",
            labels=["feed"],
        )
        messages = CounterMetricFamily(
            "feedwatch_messages", "Messages received, of every kind", labels=["feed"]
        )
        data = CounterMetricFamily(
            "feedwatch_data_messages", "Data messages received", labels=["feed"]
        )
        received = CounterMetricFamily(
            "feedwatch_received_bytes", "Bytes of message payload received", labels=["feed"]
        )
        reconnects = CounterMetricFamily(
            "feedwatch_reconnects", "Reconnect attempts", labels=["feed"]
        )
        stale = GaugeMetricFamily(
            "feedwatch_stale", "1 while no data has arrived within stale_after", labels=["feed"]
        )
        connected = GaugeMetricFamily(
            "feedwatch_connected", "1 while the connection is open", labels=["feed"]
        )
        storm = GaugeMetricFamily(
            "feedwatch_storm", "1 while reconnects exceed the storm limit", labels=["feed"]
        )
        threshold = GaugeMetricFamily(
            "feedwatch_stale_after_seconds", "The staleness threshold in force", labels=["feed"]
        )
        rtt = GaugeMetricFamily(
            "feedwatch_ping_rtt_seconds", "Protocol ping round-trip time", labels=["feed"]
        )
        healthy = GaugeMetricFamily(
            "feedwatch_healthy",
            "1 while the feed counts as healthy (what /health and check answer)",
            labels=["feed"],
        )
        state = GaugeMetricFamily(
            "feedwatch_state", "1 for the feed's current state", labels=["feed", "state"]
        )
        lag = GaugeMetricFamily(
            "feedwatch_lag_seconds",
            "Receive time minus the message's own event_time over recent messages (p50, max)",
            labels=["feed", "quantile"],
        )
        missed = CounterMetricFamily(
            "feedwatch_missed_messages", "Messages lost to sequence gaps", labels=["feed"]
        )
        for f in feeds:
            labels = [f.name]
            if f.last_data_wall is not None:
                last.add_metric(labels, f.last_data_wall)
            if f.last_heartbeat_age is not None:
                heartbeat.add_metric(labels, f.taken_at - f.last_heartbeat_age)
            messages.add_metric(labels, f.messages)
            data.add_metric(labels, f.data_messages)
            received.add_metric(labels, f.bytes)
            reconnects.add_metric(labels, f.reconnects)
            stale.add_metric(labels, 1.0 if f.stale else 0.0)
            connected.add_metric(labels, 1.0 if f.connected else 0.0)
            storm.add_metric(labels, 1.0 if f.storm else 0.0)
            threshold.add_metric(labels, f.stale_after)
            healthy.add_metric(labels, 1.0 if f.healthy else 0.0)
            if f.ping_rtt is not None:
                rtt.add_metric(labels, f.ping_rtt)
            for s in State:
                state.add_metric([f.name, str(s)], 1.0 if f.state is s else 0.0)
            if f.lag_p50 is not None and f.lag_max is not None:
                lag.add_metric([f.name, "0.5"], f.lag_p50)
                lag.add_metric([f.name, "1"], f.lag_max)
            missed.add_metric(labels, f.missed_messages)
            for ch in f.channels:
                ch_labels = {"feed": f.name, "channel": ch.key}
                if ch.last_data_age is not None:
                    last.add_sample(
                        "feedwatch_last_message_timestamp_seconds",
                        ch_labels,
                        f.taken_at - ch.last_data_age,
                    )
                messages.add_sample("feedwatch_messages_total", ch_labels, ch.messages)
                stale.add_sample(
                    "feedwatch_stale", ch_labels, 1.0 if ch.state is State.STALE else 0.0
                )
        yield from (
            last, heartbeat, messages, data, received, reconnects,
            stale, connected, storm, threshold, rtt, healthy, state, lag, missed,
        )  # fmt: skip
        if self._alerts is not None:
            yield self._alert_family(self._alerts())
        status = None if self._history is None else self._history()
        if status is not None:
            yield from self._history_families(status)

    @staticmethod
    def _alert_family(counts: Mapping[tuple[str, str], int]) -> Metric:
        alerts = CounterMetricFamily(
            "feedwatch_alerts",
            "Alert attempts by alert channel and outcome (sent, failed, timeout, dropped, "
            "suppressed)",
            labels=["channel", "outcome"],
        )
        for (channel, outcome), count in sorted(counts.items()):
            alerts.add_metric([channel, outcome], count)
        return alerts

    @staticmethod
    def _history_families(status: HistoryStatus) -> Iterator[Metric]:
        ok = GaugeMetricFamily(
            "feedwatch_history_ok", "1 while the history file takes every write, else 0"
        )
        ok.add_metric([], 1.0 if status.ok else 0.0)
        errors = CounterMetricFamily(
            "feedwatch_history_write_errors",
            "Attempts to write the history file that failed (disk full, read-only, I/O)",
        )
        errors.add_metric([], status.write_errors)
        lost = CounterMetricFamily(
            "feedwatch_history_events_lost",
            "Events this process will never record (backlog full, refused, or unwritten at exit)",
        )
        lost.add_metric([], status.lost)
        held = GaugeMetricFamily(
            "feedwatch_history_events_held",
            "Events kept in memory until the history file takes writes again",
        )
        held.add_metric([], status.held)
        yield from (ok, errors, lost, held)


def make_registry(
    sample: Callable[[], list[FeedSnapshot]],
    alerts: AlertCounts | None = None,
    history: HistoryHealth | None = None,
) -> CollectorRegistry:
    """A registry holding only feedwatch's metrics (no process defaults to confuse)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(EngineCollector(sample, alerts, history))
    return registry
