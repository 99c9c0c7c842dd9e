"""Projects and their calls in the browser, signed in: a member starts a project, publishes a
call through the form (occupation and skills found in ESCO with "Find") and finds it on the
board; axe-core finds no WCAG 2.2 AA violation on the project, team and call forms (also with
their error summary and the entries found), on a desktop and a dark phone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.browser import DESKTOP, PHONE, axe_violations, describe, scroll_width
from tests.browser.conftest import SCREENSHOTS
from tests.browser.node import BrowserNode

PROJECT = "Ljudverkstan Malmö"
CALL = "Sound engineer for a summer tour"


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


def _submit(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


@pytest.fixture(scope="module")
def made(node: BrowserNode, member: Page) -> dict[str, str]:
    """Through the forms: a project started by the member and a call it publishes."""
    member.goto(node.url("/new/project"))
    member.fill("#f-name", PROJECT)
    member.fill("#f-summary", "A workshop for live sound.")
    member.select_option("#f-country", "SE")
    member.fill("#f-city", "Malmö")
    member.fill("#f-sectors", "music, sound")
    _submit(member, "form[action='/new/project'] button[type=submit]:visible")
    project = member.url.removeprefix(node.url("")).split("?")[0]
    _submit(member, f"a[href='{project}/calls/new']")
    member.fill("#f-title", CALL)
    member.fill("#f-description", "Three weeks on the road with a brass band.")
    member.fill("#f-occupation_q", "sound")
    _submit(member, "button[name=find][value=occupation]")
    member.locator("input[name=occupation]").nth(1).check()
    member.fill("#f-skills_q", "mix")
    _submit(member, "button[name=find][value=skills]")
    member.locator("input[name=skills]").first.check()
    member.check("#f-languages-sv")
    member.fill("#f-positions", "1")
    member.fill("#f-pay_amount", "2000")
    member.fill("#f-closes_on", (date.today() + timedelta(days=40)).isoformat())
    _submit(member, "form.account button[type=submit]:has-text('Publish the call')")
    call = member.url.removeprefix(node.url("")).split("?")[0]
    assert call.startswith("/calls/"), member.content()
    return {"project": project, "call": call}


def test_the_published_call_shows_on_the_board(node: BrowserNode, member: Page, made) -> None:
    member.goto(node.url(made["call"]))
    assert CALL in member.locator("h1").inner_text()
    assert member.locator(f"a[href='{made['call']}/edit']").count() == 1
    member.goto(node.url("/board"))
    assert member.locator("a", has_text=CALL).count() >= 1
    member.goto(node.url(made["project"]))
    assert member.locator("a", has_text=CALL).count() >= 1


def _accessible(page: Page, url: str) -> None:
    page.goto(url)
    violations = axe_violations(page)
    assert not violations, f"{url}:\n{describe(violations)}"
    width = scroll_width(page)
    assert width <= max(PHONE["width"], page.viewport_size["width"] if page.viewport_size else 0)


PAGES = ["/new/project", "{project}", "{project}/edit", "{project}/team",
         "{project}/calls/new", "{call}", "{call}/edit", "/team-invitations"]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_the_pages_have_no_wcag_violation(
    node: BrowserNode, member: Page, phone: Page, made: dict[str, str], path: str
) -> None:
    url = node.url(path.format(**made))
    _accessible(member, url)
    _accessible(phone, url)


def test_the_call_form_with_errors_and_entries_found_has_no_violation(
    node: BrowserNode, member: Page, made: dict[str, str]
) -> None:
    member.goto(node.url(f"{made['project']}/calls/new"))
    member.fill("#f-skills_q", "light")
    _submit(member, "button[name=find][value=skills]")  # with the form still empty
    assert member.locator("input[name=skills]").count() > 0
    violations = axe_violations(member)
    assert not violations, describe(violations)
    member.fill("#f-title", CALL)
    member.fill("#f-description", "x")
    member.fill("#f-positions", "1")
    member.fill("#f-pay_amount", "2000")
    member.fill("#f-pay_currency", "E1")
    _submit(member, "form.account button[type=submit]:has-text('Publish the call')")
    assert member.locator(".error-summary").count() == 1
    violations = axe_violations(member)
    assert not violations, describe(violations)


SHOTS = {"new-project": "/new/project", "project-signed-in": "{project}",
         "project-edit": "{project}/edit", "team": "{project}/team",
         "new-call": "{project}/calls/new", "call-signed-in": "{call}", "call-edit": "{call}/edit",
         "team-invitations": "/team-invitations"}  # fmt: skip


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
