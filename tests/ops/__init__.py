"""Helpers of the operations tests: a node app with its own settings, read on the wire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from prometheus_client.parser import text_string_to_metric_families

from smartnode.app import create_app
from smartnode.config import Settings

METRICS_TOKEN = "metrics-token-for-the-tests-only"


@asynccontextmanager
async def node_client(settings: Settings, **changes: object) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a node started (lifespan and all) with `settings` changed as given."""
    application = create_app(settings.model_copy(update=changes))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
            client.app = application  # type: ignore[attr-defined]
            yield client


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics with the token: every sample by name and sorted labels."""
    answer = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:  # fmt: skip
    """One sample's value (0.0 when it has not appeared yet)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
