"""Signing in with the keyboard alone: Tab reaches the fields in order, every focused control
shows a visible focus ring, Enter sends the form."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.node import PASSWORD, BrowserNode

FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  return { id: el.id, tag: el.tagName, shown: ring || style.boxShadow !== "none" };
}"""


def _tab_to(page: Page, element_id: str, limit: int = 30) -> list[dict[str, object]]:
    """Press Tab until the element has focus; what had focus on the way."""
    seen: list[dict[str, object]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_SHOWN)
        assert focused is not None, "Tab left the page"
        seen.append(focused)
        if focused["id"] == element_id:
            return seen
    raise AssertionError(f"#{element_id} not reached by Tab: {seen}")


def test_a_member_signs_in_with_the_keyboard_alone_and_sees_where_focus_is(
    page: Page, node: BrowserNode, member_state: object
) -> None:
    page.goto(node.url("/signin"))
    on_the_way = _tab_to(page, "f-name")
    assert on_the_way[0]["tag"] == "A", "the first Tab stop is the skip link"
    page.keyboard.type(node.username)
    on_the_way += _tab_to(page, "f-password", limit=1)
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator("a[href='/account']").wait_for()
    hidden = [stop for stop in on_the_way if not stop["shown"]]
    assert not hidden, f"focus not visible on {hidden}"
