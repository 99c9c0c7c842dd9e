"""A member's own profile in the browser, signed in: axe-core finds no WCAG 2.2 AA violation on
the form (as it opens, with skills found, with its error summary), on a desktop and a dark phone;
with the keyboard alone a member finds a skill, ticks it and saves, every stop showing focus;
with JavaScript the skills field suggests ESCO skills as the member types."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.browser import DESKTOP, PHONE, axe_violations, describe, scroll_width
from tests.browser.conftest import SCREENSHOTS
from tests.browser.node import BrowserNode
from tests.browser.test_keyboard import FOCUS_SHOWN

PATH = "/account/profile"


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


def _find(page: Page, words: str) -> None:
    page.fill("#f-skill_q", words)
    with page.expect_navigation():
        page.click("button[name=find][value=skills]")


def test_the_profile_form_has_no_wcag_violation(
    node: BrowserNode, member: Page, phone: Page
) -> None:
    for page in (member, phone):
        page.goto(node.url(PATH))
        assert page.locator("h1").inner_text() == "Your profile"
        _no_violation(page)
    _find(member, "sing")
    assert member.locator("input[name^=skill_keep_]").count() > 0
    _no_violation(member)
    member.fill("#f-window_from_0", "2027-03-10")
    member.fill("#f-window_to_0", "2027-03-01")
    with member.expect_navigation():
        member.click("form.account button[type=submit]:has-text('Save your profile')")
    assert member.locator(".error-summary").count() == 1
    _no_violation(member)


def _tab_until(page: Page, test: str, limit: int = 400) -> list[dict[str, object]]:
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


def test_a_member_finds_a_skill_ticks_it_and_saves_with_the_keyboard(
    node: BrowserNode, member: Page
) -> None:
    member.goto(node.url("/account"))
    stops = _tab_until(member, "el.getAttribute('href') === '/account/profile'")
    with member.expect_navigation():
        member.keyboard.press("Enter")
    stops += _tab_until(member, "el.id === 'f-skill_q'")
    member.keyboard.type("sing")
    stops += _tab_until(member, "el.name === 'find'", limit=2)
    with member.expect_navigation():
        member.keyboard.press("Enter")
    label = member.locator("input[name^=skill_keep_]:not(:checked) + label").first.inner_text()
    first = member.locator("input[name^=skill_keep_]:not(:checked)").first.get_attribute("id")
    stops += _tab_until(member, f"el.id === '{first}'")
    member.keyboard.press("Space")
    stops += _tab_until(member, "el.textContent.trim() === 'Save your profile'")
    with member.expect_navigation():
        member.keyboard.press("Enter")
    assert member.url.endswith(f"{PATH}?saved=1")
    assert member.locator("[role=status]").first.inner_text().startswith("Your profile is saved")
    assert member.locator(f"label:text-is('{label}')").count() == 1
    kept = member.locator("input[name^=skill_keep_]:checked + label").all_inner_texts()
    assert label in kept
    hidden = [stop for stop in stops if not stop["shown"]]
    assert not hidden, f"focus not visible on {hidden}"


def test_with_javascript_the_field_suggests_skills_as_the_member_types(
    node: BrowserNode, member: Page
) -> None:
    member.goto(node.url(PATH))
    member.locator("#f-skill_q").press_sequentially("sing", delay=50)
    member.wait_for_function(
        "document.querySelectorAll('#skill-suggestions option').length > 0", timeout=5000
    )
    labels = member.locator("#skill-suggestions option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert any("sing" in label for label in labels), labels


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_the_profile_form_is_pictured(node: BrowserNode, member: Page, lang: str) -> None:
    member.goto(node.url(f"/language?set={lang}&next=/"))
    try:
        member.goto(node.url(PATH))
        assert member.locator("html").get_attribute("lang") == lang
        (SCREENSHOTS / lang).mkdir(parents=True, exist_ok=True)
        member.screenshot(path=str(SCREENSHOTS / lang / "profile.png"), full_page=True)
    finally:
        member.goto(node.url("/language?set=en&next=/"))
