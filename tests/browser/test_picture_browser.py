"""A member chooses a picture in a real browser, without JavaScript doing the work: the form
sends the file, the picture shows from /media/… on the form and the public page, a file that
is not a picture comes back in the error summary, and "Remove the picture" takes it away;
axe-core finds no WCAG 2.2 AA violation on the way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.browser import DESKTOP, axe_violations, describe
from tests.browser.node import BrowserNode
from tests.media import photo_with_gps

PATH = "/account/profile"


@pytest.fixture(scope="module")
def member(browser: Browser, member_state: Path, node: BrowserNode) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", viewport=DESKTOP, storage_state=str(member_state))
    page = context.new_page()
    page.goto(node.url("/language?set=en&next=/"))
    yield page
    context.close()


def _save(page: Page) -> None:
    with page.expect_navigation():
        page.click("form.account button[type=submit]:has-text('Save your profile')")


def _no_violation(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, f"{page.url}:\n{describe(violations)}"


def test_a_picture_is_chosen_shown_refused_and_removed(
    node: BrowserNode, member: Page, tmp_path: Path
) -> None:
    photo, text = tmp_path / "holiday.jpg", tmp_path / "notes.png"
    photo.write_bytes(photo_with_gps(900, 600))
    text.write_text("not a picture")
    member.goto(node.url(PATH))
    member.set_input_files("#f-avatar", str(photo))
    _save(member)
    assert member.url.endswith(f"{PATH}?saved=1")
    shown = member.locator("#picture img.avatar")
    assert shown.get_attribute("src").startswith(node.url("/media/"))
    assert member.evaluate("document.querySelector('#picture img.avatar').naturalWidth") == 400
    _no_violation(member)

    member.set_input_files("#f-avatar", str(text))
    _save(member)
    assert member.locator(".error-summary a[href='#f-avatar']").count() == 1
    _no_violation(member)

    member.goto(node.url(PATH))
    member.check("#f-avatar_remove")
    _save(member)
    assert member.locator("#picture img.avatar").count() == 0
    assert member.locator("#f-avatar_remove").count() == 0
