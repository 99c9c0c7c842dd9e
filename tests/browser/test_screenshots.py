"""Screenshots of every page in English and Swedish, signed out and signed in, written to
artifacts/screenshots/<lang>/ (a few at phone width in dark mode under <lang>/phone/) for anyone to
look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.browser import DESKTOP, PHONE
from tests.browser.conftest import SCREENSHOTS
from tests.browser.node import ACCOUNT_PAGES, BrowserNode

LOCALES = {"en": "en-GB", "sv": "sv-SE"}
ON_A_PHONE = ["home", "call", "event", "signin", "account", "passkeys"]


def _shoot(page: Page, url: str, lang: str, path: Path) -> None:
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == lang, f"{url} is not in {lang}"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


@pytest.mark.parametrize("lang", LOCALES)
def test_every_page_is_pictured_signed_out(browser: Browser, node: BrowserNode, lang: str) -> None:
    for viewport, folder in ((DESKTOP, SCREENSHOTS / lang), (PHONE, SCREENSHOTS / lang / "phone")):
        context = browser.new_context(
            locale=LOCALES[lang],
            viewport=viewport,
            color_scheme="dark" if viewport is PHONE else "light",
        )
        page = context.new_page()
        for name, path in node.pages_out.items():
            if viewport is DESKTOP or name in ON_A_PHONE:
                _shoot(page, node.url(path), lang, folder / f"{name}.png")
        page.goto(node.url("/language?set=en&next=/"))  # back to English for the next tests
        context.close()
    assert (SCREENSHOTS / lang / "home.png").stat().st_size > 0


@pytest.mark.parametrize("lang", LOCALES)
def test_every_account_page_is_pictured_signed_in(
    browser: Browser, node: BrowserNode, member_state: Path, lang: str
) -> None:
    for viewport, folder in ((DESKTOP, SCREENSHOTS / lang), (PHONE, SCREENSHOTS / lang / "phone")):
        context = browser.new_context(
            locale=LOCALES[lang],
            viewport=viewport,
            color_scheme="dark" if viewport is PHONE else "light",
            storage_state=str(member_state),
        )
        page = context.new_page()
        page.goto(node.url(f"/language?set={lang}&next=/account"))  # the member's own setting
        for name, path in {"home-signed-in": "/", **ACCOUNT_PAGES}.items():
            if viewport is DESKTOP or name in ON_A_PHONE:
                _shoot(page, node.url(path), lang, folder / f"{name}.png")
        page.goto(node.url("/language?set=en&next=/"))  # back to English for the next tests
        context.close()
    assert (SCREENSHOTS / lang / "account.png").stat().st_size > 0
