"""Prometheus metrics of the service: deliveries by outcome, acknowledgement latency, review
duration, and jobs by state (read from the store when scraped)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.core.errors import RedlineError


class Metrics:
    def __init__(
        self, counts: Callable[[], dict[str, int]], registry: CollectorRegistry | None = None
    ) -> None:
        self.registry = registry or CollectorRegistry()
        self.deliveries = Counter(
            "redline_deliveries",
            "Webhook deliveries",
            ["host", "event", "outcome"],
            registry=self.registry,
        )
        self.ack = Histogram(
            "redline_ack_latency_seconds",
            "Time to acknowledge a delivery",
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
        )
        self.review = Histogram(
            "redline_review_duration_seconds",
            "Review duration",
            registry=self.registry,
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
        )
        self.jobs = Gauge("redline_jobs", "Jobs by state", ["state"], registry=self.registry)
        self.depth = Gauge("redline_queue_depth", "Jobs waiting", registry=self.registry)
        self.store_up = Gauge(
            "redline_store_up", "1 when the store answered the last scrape", registry=self.registry
        )
        self.counts = counts

    def render(self) -> bytes:
        try:
            counts = self.counts()
        except RedlineError:
            self.store_up.set(0)  # the store being down shows here and in /readyz
        else:
            self.store_up.set(1)
            for state, count in counts.items():
                self.jobs.labels(state).set(count)
            self.depth.set(counts.get("queued", 0))
        return generate_latest(self.registry)
