"""HTTP requests counted and timed as plain numbers, turned into Prometheus families only when
scraped. A request costs two dictionary look-ups and a bisect; prometheus-client's labelled
counter and histogram cost a label look-up, validation and a lock each (about 10 µs a request,
a fifth of a cached actor GET). Each API process answers on one event-loop thread, and scrapes
are answered on the same thread, so nothing here needs a lock.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

REQUESTS = "smartnode_http_requests"
REQUESTS_HELP = "HTTP requests answered, by route template, method and status."
DURATIONS = "smartnode_http_request_duration_seconds"
DURATIONS_HELP = "Time to answer an HTTP request, by route template."


class RequestTally(Collector):
    """Requests by (route, method, status), and each route's duration histogram."""

    def __init__(self, buckets: Sequence[float]) -> None:
        self.buckets = tuple(buckets)
        self.bounds = [repr(float(bound)) for bound in self.buckets] + ["+Inf"]  # as Go prints
        self.counts: dict[tuple[str, str, int], int] = {}
        #: per route: observations in each bucket (not cumulative; +Inf last), then their sum
        self.durations: dict[str, list[float]] = {}

    def add(self, route: str, method: str, status: int, seconds: float) -> None:
        """One answered request."""
        key = (route, method, status)
        counts = self.counts
        counts[key] = counts.get(key, 0) + 1
        row = self.durations.get(route)
        if row is None:
            row = self.durations[route] = [0.0] * (len(self.buckets) + 2)
        row[bisect_left(self.buckets, seconds)] += 1  # the first bound ≥ seconds: "le"
        row[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        """The two families, as prometheus-client's Counter and Histogram would show them."""
        labels = ["route", "method", "status"]
        requests = CounterMetricFamily(REQUESTS, REQUESTS_HELP, labels=labels)
        for (route, method, status), count in list(self.counts.items()):
            requests.add_metric([route, method, str(status)], count)
        yield requests
        durations = HistogramMetricFamily(DURATIONS, DURATIONS_HELP, labels=["route"])
        for route, row in list(self.durations.items()):
            cumulative, buckets = 0.0, []
            for bound, observed in zip(self.bounds, row, strict=False):  # the sum is left out
                cumulative += observed
                buckets.append((bound, cumulative))
            durations.add_metric([route], buckets, sum_value=row[-1])
        yield durations
