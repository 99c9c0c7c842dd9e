"""End-to-end tests: three real `smartnode serve` processes federating over loopback.

The nodes start once per module; a test that stops one leaves it to `all_running` to start it
again for the next. A failing test's report ends with the tail of each node's log.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from tests.e2e.nodes import Federation, running_federation
from tests.e2e.remote import FakeOrigin, fake_origin


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: real smartnode processes (se, be, fr) federate on 127.0.0.1"
    )


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """se, be and fr, started once per test module."""
    yield from running_federation(tmp_path_factory.mktemp("federation"))


@pytest.fixture(autouse=True)
def all_running(federation: Federation) -> None:
    """Every test starts with the three nodes up (an earlier one may have stopped one)."""
    for node in federation.nodes():
        if node.server is None:
            node.start()


@pytest.fixture(scope="module")
def origin() -> Iterator[FakeOrigin]:
    """A remote origin on 127.0.0.1 serving actors whose keys the tests hold."""
    with fake_origin() as served:
        yield served


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    federation = getattr(item, "funcargs", {}).get("federation")
    if report.failed and isinstance(federation, Federation):
        for node in federation.nodes():
            report.sections.append((f"{node.name} log ({node.base_url})", node.log()))
