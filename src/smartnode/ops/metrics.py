"""The node's Prometheus metrics: one registry per app (several nodes may share a process).

Counters move where things happen (requests, inbox answers, delivery attempts; requests in a
tally of plain numbers, ops/request_tally.py, since every request pays for them); what the
database holds (queue depths, the oldest due row, hosts in trouble, the worker's heartbeat) is
read when Prometheus scrapes (ops/scrape.py). Every label takes a bounded set of values: route
templates, not paths; error codes, not messages.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from smartnode.inbox.receive import Received
from smartnode.ops.request_tally import RequestTally

CONTENT_TYPE = CONTENT_TYPE_LATEST
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Request durations: from a cached actor (under a millisecond) to a slow page (seconds).
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Delivery attempts: a peer answering at once to one that times out (10 s).
DELIVERY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0)


class NodeMetrics:
    """The instruments of one node."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = RequestTally(REQUEST_BUCKETS)  # counted on every request: kept cheap
        r.register(self.requests)
        self.inbox_posts = Counter(
            "smartnode_inbox_posts", "Inbox POSTs by outcome (stored, duplicate, dropped, "
            "refused) and, when refused, the reason.", ["outcome", "reason"], registry=r,
        )  # fmt: skip
        self.deliveries = Counter(
            "smartnode_deliveries", "Delivery attempts by outcome (delivered, retry, gone, "
            "failed, deferred: a host's breaker is open).", ["outcome"], registry=r,
        )  # fmt: skip
        self.delivery_seconds = Histogram(
            "smartnode_delivery_duration_seconds", "Time of one delivery POST (signing "
            "included).", buckets=DELIVERY_BUCKETS, registry=r,
        )  # fmt: skip
        self.queue_rows = Gauge(
            "smartnode_queue_rows", "Rows waiting (pending) or given up on (failed), per queue.",
            ["queue", "state"], registry=r,
        )  # fmt: skip
        self.queue_oldest = Gauge(
            "smartnode_queue_oldest_due_seconds", "How long the oldest due row of each queue "
            "has waited (0: none due).", ["queue"], registry=r,
        )  # fmt: skip
        self.hosts = Gauge(
            "smartnode_remote_hosts", "Remote hosts in trouble: breaker_open (no delivery "
            "tried for now), unavailable (failing for 7 days).", ["state"], registry=r,
        )  # fmt: skip
        self.pool = Gauge(
            "smartnode_db_pool_connections", "This process's database connections: in_use "
            "(checked out) and idle (pooled).", ["state"], registry=r,
        )  # fmt: skip
        self.heartbeat_age = Gauge(
            "smartnode_worker_heartbeat_age_seconds", "Seconds since a worker's loop last "
            "went round (-1: no worker has run).", registry=r,
        )  # fmt: skip

        # labelled children, looked up once (labels() validates and locks on every call)
        self._inbox: dict[tuple[str, str], Counter] = {}
        self._deliveries: dict[str, Counter] = {}

    def request_answered(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.add(route, method if method in METHODS else "OTHER", status, seconds)

    def inbox_answered(self, received: Received) -> None:
        reason = "" if received.outcome != "refused" else received.code or str(received.status)
        key = (received.outcome, reason)
        child = self._inbox.get(key)
        if child is None:
            child = self._inbox[key] = self.inbox_posts.labels(*key)
        child.inc()

    def delivery_attempted(self, outcome: str, seconds: float | None) -> None:
        child = self._deliveries.get(outcome)
        if child is None:
            child = self._deliveries[outcome] = self.deliveries.labels(outcome)
        child.inc()
        if seconds is not None:
            self.delivery_seconds.observe(seconds)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
