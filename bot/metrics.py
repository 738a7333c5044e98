"""/metrics: one Prometheus collector, read at scrape time, in a registry of its own.

Counts that the tables hold (alerts by kind, deliveries by state, Telegram's 429s, the latencies)
are read from the database at each scrape, so they survive restarts and agree with /stats. The
process counts only what the tables don't keep: requests and errors per source (on the HTTP
client's transport) and messages sent (the sender's count).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from bot.sources.http import SourceCounts
from bot.store.db import session_scope
from bot.store.metrics import Histogram, metric_counts

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class BotCollector(Collector):
    """Every earnings_bot_* metric; see the module docstring."""

    def __init__(self, db: Engine, *, messages_sent: Callable[[], int], source_counts: SourceCounts | None,
                 leader: Callable[[], bool] = lambda: True) -> None:
        self.db = db
        self.messages_sent = messages_sent
        self.source_counts = source_counts
        self.leader = leader

    def collect(self) -> Iterator[Metric]:
        with session_scope(self.db) as session:
            counts = metric_counts(session)
        alerts = CounterMetricFamily("earnings_bot_alerts", "Alerts written, by kind.", labels=["kind"])
        for kind, count in sorted(counts.alerts_by_kind.items()):
            alerts.add_metric([kind], count)
        yield alerts
        deliveries = GaugeMetricFamily("earnings_bot_deliveries", "Deliveries (one alert for one chat) by state.",
                                       labels=["state"])
        for state, count in sorted(counts.deliveries_by_state.items()):
            deliveries.add_metric([state], count)
        yield deliveries
        yield CounterMetricFamily("earnings_bot_messages_sent", "Telegram messages sent or edited by this process.",
                                  value=self.messages_sent())
        yield CounterMetricFamily("earnings_bot_telegram_429", "Flood waits (429) Telegram answered.",
                                  value=counts.flood_waits)
        yield from self._sources()
        yield _histogram("earnings_bot_detection_latency_seconds", "From a report's first appearance (filing "
                         "accepted, event reported) to the first Telegram message about it.", counts.detection_latency)
        yield _histogram("earnings_bot_delivery_latency_seconds", "From an alert's creation to each message sent.",
                         counts.delivery_latency)
        yield GaugeMetricFamily("earnings_bot_leader", "1 when this process sends and polls.",
                                value=1 if self.leader() else 0)

    def _sources(self) -> Iterator[Metric]:
        requests = CounterMetricFamily("earnings_bot_source_requests", "HTTP requests to data providers, by source.",
                                       labels=["source"])
        errors = CounterMetricFamily("earnings_bot_source_errors", "Failed requests (network, 403, 429, 5xx), "
                                     "by source.", labels=["source"])
        counts = self.source_counts
        if counts is not None:
            for source in sorted(set(counts.requests) | set(counts.errors)):
                requests.add_metric([source], counts.requests[source])
                errors.add_metric([source], counts.errors[source])
        yield requests
        yield errors


def _histogram(name: str, documentation: str, histogram: Histogram) -> HistogramMetricFamily:
    buckets = [(_bound(b), c) for b, c in zip(histogram.bounds, histogram.cumulative, strict=False)]
    buckets.append(("+Inf", histogram.cumulative[-1]))
    return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=histogram.total)


def _bound(value: float) -> str:
    return repr(float(value))


def metrics_registry(collector: BotCollector) -> CollectorRegistry:
    """A registry of our own: nothing of the process's global registry (Python GC, ...) in it."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The text exposition of the registry (reads the database: call it from a worker thread)."""
    return generate_latest(registry)
