"""Events and posts in the browser, signed in: a member writes a post and sees it, creates an
event and joins it; axe-core finds no WCAG 2.2 AA violation on the forms (also with their error
summary), the organisers' list and the confirmation pages, on a desktop and a dark phone; the
new pages pictured in English and Swedish under artifacts/screenshots/<lang>/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.browser import DESKTOP, PHONE, axe_violations, describe, scroll_width
from tests.browser.conftest import SCREENSHOTS
from tests.browser.node import BrowserNode


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


def _accessible(page: Page, url: str) -> None:
    page.goto(url)
    violations = axe_violations(page)
    assert not violations, f"{url}:\n{describe(violations)}"
    width = scroll_width(page)
    assert width <= max(PHONE["width"], page.viewport_size["width"] if page.viewport_size else 0)


@pytest.fixture(scope="module")
def made(node: BrowserNode, member: Page) -> dict[str, str]:
    """Through the forms: a post and an event by the member; their page paths."""
    member.goto(node.url("/"))
    with member.expect_navigation():
        member.click("a[href='/new/post']")
    member.fill("#p-content", "Rehearsal moved to Thursday #brass")
    member.check("#p-visibility-public")
    with member.expect_navigation():
        member.click("form[action='/new/post'] button[type=submit]")
    post = member.url.removeprefix(node.url("")).split("?")[0]
    member.goto(node.url("/new/event"))
    member.fill("#e-name", "Open brass rehearsal")
    member.fill("#e-content", "Bring your instrument.")
    member.fill("#e-starts", "2031-03-06T18:30")
    member.fill("#e-ends", "2031-03-06T21:00")
    member.fill("#e-online_url", "https://meet.example/brass")
    member.fill("#e-capacity", "12")
    with member.expect_navigation():
        member.click("form[action='/new/event'] button[type=submit]")
    event = member.url.removeprefix(node.url("")).split("?")[0]
    return {"post": post, "event": event}


def test_a_written_post_shows_on_its_page(node: BrowserNode, member: Page, made) -> None:
    member.goto(node.url(made["post"]))
    assert member.locator(".e-content").first.inner_text().startswith("Rehearsal moved")
    assert member.locator(f"a[href='{made['post']}/delete']").count() == 1


def test_the_member_joins_the_event_they_created(node: BrowserNode, member: Page, made) -> None:
    member.goto(node.url(made["event"]))
    assert "Open brass rehearsal" in member.locator("h1").inner_text()
    with member.expect_navigation():
        member.click("#take-part form button[type=submit]")
    assert "?done=joined" in member.url
    assert "You are taking part." in member.locator("#take-part").inner_text()
    assert member.locator("#take-part button", has_text="Leave the event").count() == 1


PAGES = ["/new/post", "/new/event", "{event}", "{event}/edit", "{event}/cancel",
         "{event}/participants", "{post}", "{post}/edit", "{post}/delete",
         "/new/post?sent=followers", "/account/events"]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_the_pages_have_no_wcag_violation(
    node: BrowserNode, member: Page, phone: Page, made: dict[str, str], path: str
) -> None:
    url = node.url(path.format(**made))
    _accessible(member, url)
    _accessible(phone, url)


def test_a_form_with_errors_has_no_wcag_violation(node: BrowserNode, member: Page) -> None:
    member.goto(node.url("/new/event"))
    member.fill("#e-timezone", "Mars/Olympus")
    with member.expect_navigation():
        member.click("form[action='/new/event'] button[type=submit]")
    assert member.locator(".error-summary").count() == 1
    violations = axe_violations(member)
    assert not violations, describe(violations)


SHOTS = {"new-post": "/new/post", "new-event": "/new/event", "event-signed-in": "{event}",
         "participants": "{event}/participants", "your-events": "/account/events"}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_the_pages_are_pictured(node: BrowserNode, member: Page, made, lang: str) -> None:
    member.goto(node.url(f"/language?set={lang}&next=/"))
    try:
        for name, path in SHOTS.items():
            member.goto(node.url(path.format(**made)))
            assert member.locator("html").get_attribute("lang") == lang
            (SCREENSHOTS / lang).mkdir(parents=True, exist_ok=True)
            member.screenshot(path=str(SCREENSHOTS / lang / f"{name}.png"), full_page=True)
    finally:
        member.goto(node.url("/language?set=en&next=/"))
