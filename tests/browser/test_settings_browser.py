"""A member's notifications and API tokens pages in the browser, signed in: axe-core finds no
WCAG 2.2 AA violation on either (the tokens page also with a new secret shown and with its
error summary), on a desktop and a dark phone; with the keyboard alone a member makes a token,
sees its secret once and revokes it, every stop showing focus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.browser import DESKTOP, PHONE, axe_violations, describe, scroll_width
from tests.browser.conftest import SCREENSHOTS
from tests.browser.node import BrowserNode
from tests.browser.test_keyboard import FOCUS_SHOWN

NOTIFICATIONS, TOKENS = "/account/notifications", "/account/tokens"


@pytest.fixture(scope="module")
def member(browser: Browser, member_state: Path, node: BrowserNode) -> Iterator[Page]:
    """The signed-in member on an English desktop page."""
    context = browser.new_context(locale="en-GB", viewport=DESKTOP, storage_state=str(member_state))
    page = context.new_page()
    page.goto(node.url("/language?set=en&next=/"))  # the member's own setting: English
    yield page
    context.close()


@pytest.fixture(scope="module")
def phone(browser: Browser, member_state: Path) -> Iterator[Page]:
    """The signed-in member on a phone in dark mode."""
    context = browser.new_context(locale="en-GB", viewport=PHONE, color_scheme="dark",
                                  storage_state=str(member_state))  # fmt: skip
    yield context.new_page()
    context.close()


def _no_violation(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, f"{page.url}:\n{describe(violations)}"
    assert scroll_width(page) <= max(PHONE["width"], (page.viewport_size or {"width": 0})["width"])


def _revoke_all(page: Page, node: BrowserNode) -> None:
    page.goto(node.url(TOKENS))
    while page.locator("form[action$='/revoke'] button").count():
        with page.expect_navigation():
            page.locator("form[action$='/revoke'] button").first.click()


def test_the_notifications_and_tokens_pages_have_no_wcag_violation(
    node: BrowserNode, member: Page, phone: Page
) -> None:
    for page in (member, phone):
        page.goto(node.url(NOTIFICATIONS))
        assert page.locator("h1").inner_text() == "Your notifications"
        _no_violation(page)
        page.goto(node.url(TOKENS))
        assert page.locator("h1").inner_text() == "Your API tokens"
        _no_violation(page)
    member.fill("#f-label", "   ")  # blank, and nothing ticked: refused by the node
    with member.expect_navigation():
        member.click("button:has-text('Make the token')")
    assert member.locator(".error-summary").count() == 1
    _no_violation(member)
    for page in (member, phone):
        page.goto(node.url(TOKENS))
        page.fill("#f-label", "axe check")
        page.check("#s-read")
        with page.expect_navigation():
            page.click("button:has-text('Make the token')")
        assert page.locator("#f-secret").count() == 1
        _no_violation(page)
    _revoke_all(member, node)


def _tab_until(page: Page, test: str, limit: int = 200) -> list[dict[str, object]]:
    """Press Tab until `test` (a JS expression on the focused element `el`) holds."""
    seen: list[dict[str, object]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_SHOWN)
        assert focused is not None, "Tab left the page"
        seen.append(focused)
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {test}; }})()"):
            return seen
    raise AssertionError(f"{test} not reached by Tab: {seen[-5:]}")


def test_a_member_makes_a_token_sees_it_once_and_revokes_it_with_the_keyboard(
    node: BrowserNode, member: Page
) -> None:
    member.goto(node.url("/account"))
    stops = _tab_until(member, "el.getAttribute('href') === '/account/tokens'")
    with member.expect_navigation():
        member.keyboard.press("Enter")
    stops += _tab_until(member, "el.id === 'f-label'")
    member.keyboard.type("My calendar script")
    stops += _tab_until(member, "el.id === 's-read'")
    member.keyboard.press("Space")
    stops += _tab_until(member, "el.textContent.trim() === 'Make the token'")
    with member.expect_navigation():
        member.keyboard.press("Enter")
    secret = member.locator("#f-secret").input_value()
    assert len(secret) > 30 and "shown only this once" in member.content()
    member.goto(node.url(TOKENS))
    assert secret not in member.content() and member.locator("#f-secret").count() == 0
    stops += _tab_until(member, "el.textContent.trim() === 'Revoke the token My calendar script'")
    with member.expect_navigation():
        member.keyboard.press("Enter")
    assert member.url.endswith(f"{TOKENS}?done=revoked")
    assert member.locator("[role=status]").first.inner_text().startswith("The token was revoked")
    assert "My calendar script" not in member.content()
    hidden = [stop for stop in stops if not stop["shown"]]
    assert not hidden, f"focus not visible on {hidden}"


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_the_settings_pages_are_pictured(node: BrowserNode, member: Page, lang: str) -> None:
    member.goto(node.url(f"/language?set={lang}&next=/"))
    try:
        (SCREENSHOTS / lang).mkdir(parents=True, exist_ok=True)
        for name, path in (("notifications", NOTIFICATIONS), ("tokens", TOKENS)):
            member.goto(node.url(path))
            assert member.locator("html").get_attribute("lang") == lang
            member.screenshot(path=str(SCREENSHOTS / lang / f"{name}.png"), full_page=True)
    finally:
        member.goto(node.url("/language?set=en&next=/"))
