"""Browser tests: one node and one Chromium for the package, opened in contexts signed out,
signed in, in English and Swedish, on a desktop and a phone, light and dark.

Package scope, not session: the sync Playwright keeps an event loop running, which the async
tests that come after this package must not find.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.browser import DESKTOP, launch, set_password_by_invitation
from tests.browser.node import PASSWORD, BrowserNode, browser_node

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="package")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserNode]:
    with browser_node(tmp_path_factory.mktemp("browser-node")) as served:
        yield served


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def member_state(
    node: BrowserNode, browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Cookies of the member, signed in after choosing a password on their invitation page."""
    context = browser.new_context(locale="en-GB", viewport=DESKTOP)
    page = context.new_page()
    set_password_by_invitation(page, node.url(node.invitation_path(node.username)), PASSWORD)
    assert page.locator("a[href='/account']").count() > 0, page.content()
    state = tmp_path_factory.mktemp("state") / "member.json"
    context.storage_state(path=str(state))
    context.close()
    return state


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh signed-out English desktop page."""
    context: BrowserContext = browser.new_context(locale="en-GB", viewport=DESKTOP)
    yield context.new_page()
    context.close()
