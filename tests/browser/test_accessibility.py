"""Every page, signed out and signed in, on a desktop in light mode and on a 390 px phone in
dark mode: no WCAG 2.2 AA violation axe-core can find, and nothing wider than the phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from tests.browser.browser import DESKTOP, PHONE, axe_violations, describe, scroll_width
from tests.browser.node import ACCOUNT_PAGES, BrowserNode

PUBLIC = ["home", "members", "member", "projects", "project", "board", "call", "event", "post",
          "tag", "search", "about", "not-found"]  # fmt: skip
SIGNED_OUT = [*PUBLIC, "signin", "reset", "invitation"]
SIGNED_IN = [*PUBLIC, *ACCOUNT_PAGES]
LOOKS: dict[str, tuple[Literal["light", "dark"], ViewportSize]] = {
    "light": ("light", DESKTOP),
    "phone-dark": ("dark", PHONE),
}


@pytest.fixture(scope="module")
def pages(browser: Browser, member_state: Path) -> Iterator[dict[tuple[str, str], Page]]:
    """One page per (who, look), reused by every test of the module."""
    opened = {}
    for who in ("out", "in"):
        for look, (scheme, viewport) in LOOKS.items():
            context = browser.new_context(
                locale="en-GB",
                viewport=viewport,
                color_scheme=scheme,
                storage_state=str(member_state) if who == "in" else None,
            )
            opened[(who, look)] = context.new_page()
    yield opened
    for page in opened.values():
        page.context.close()


def _check(page: Page, url: str, look: str) -> None:
    page.goto(url)
    violations = axe_violations(page)
    assert not violations, f"{url} ({look}):\n{describe(violations)}"
    if look == "phone-dark":
        width = scroll_width(page)
        assert width <= PHONE["width"], f"{url} scrolls sideways on a phone: {width} px wide"


@pytest.mark.parametrize("look", LOOKS)
@pytest.mark.parametrize("name", SIGNED_OUT)
def test_signed_out_page_has_no_wcag_violation_and_fits_a_phone(
    node: BrowserNode, pages: dict[tuple[str, str], Page], name: str, look: str
) -> None:
    _check(pages[("out", look)], node.url(node.pages_out[name]), look)


@pytest.mark.parametrize("look", LOOKS)
@pytest.mark.parametrize("name", SIGNED_IN)
def test_signed_in_page_has_no_wcag_violation_and_fits_a_phone(
    node: BrowserNode, pages: dict[tuple[str, str], Page], name: str, look: str
) -> None:
    page = pages[("in", look)]
    _check(page, node.url(node.pages_in[name]), look)
    assert page.locator("a[href='/account']").count() > 0, "the member is no longer signed in"


@pytest.mark.parametrize("look", LOOKS)
def test_a_refused_sign_in_says_why_accessibly(
    node: BrowserNode, pages: dict[tuple[str, str], Page], look: str
) -> None:
    page = pages[("out", look)]
    page.goto(node.url("/signin"))
    page.fill("#f-name", "nobody-by-this-name")  # the same answer as a wrong password
    page.fill("#f-password", "not the password at all")
    with page.expect_navigation():
        page.locator("form[action='/signin'] button[type=submit]").click()
    assert page.locator("main > [role=alert]").is_visible()
    violations = axe_violations(page)
    assert not violations, f"refused sign-in ({look}):\n{describe(violations)}"
