"""A serving process sets its start-up objects aside from the cyclic collector once started
(ops/heap.py); an app built for any other use (the tests' own) leaves the collector as it is.
FastAPI's OpenTelemetry hooks stay off: a request does not look for a provider."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest
from opentelemetry import _logs, metrics, trace

from smartnode.app import create_app, serving_app
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.worker import run_worker
from tests.ops import node_client


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """No frozen objects before the test, and none left after it."""
    gc.unfreeze()
    yield
    gc.unfreeze()


async def test_a_serving_app_freezes_its_start_up_objects_once_started(
    settings: Settings, db: Database, unfrozen: None
) -> None:
    application = serving_app(settings)
    assert gc.get_freeze_count() == 0  # built, not started
    async with application.router.lifespan_context(application):
        frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the modules, routes and mappings of a started node


async def test_an_app_built_for_another_use_leaves_the_collector_alone(
    settings: Settings, db: Database, unfrozen: None
) -> None:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        assert gc.get_freeze_count() == 0


async def test_the_worker_process_freezes_its_start_up_objects(
    settings: Settings, db: Database, unfrozen: None
) -> None:
    stop = asyncio.Event()
    stop.set()  # the loop ends at once: only its start is under test
    await run_worker(settings, stop)
    assert gc.get_freeze_count() > 10_000


async def test_a_request_does_not_look_for_an_opentelemetry_provider(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked: list[str] = []
    for module, name in ((trace, "get_tracer_provider"), (metrics, "get_meter_provider"),
                         (_logs, "get_logger_provider")):  # fmt: skip
        real = getattr(module, name)

        def counting(real: object = real, name: str = name) -> object:
            looked.append(name)
            return real()  # type: ignore[operator]

        monkeypatch.setattr(module, name, counting)
    async with node_client(settings) as client:
        answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert looked == []
