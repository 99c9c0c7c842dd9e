"""Debian's Chromium driven by Playwright, and what the tests do with a page: run axe-core,
measure the width, choose a password."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Playwright, ViewportSize

CHROMIUM = "/usr/bin/chromium"
AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.2 AA: the rules axe-core tags for levels A and AA of 2.0, 2.1 and 2.2.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
#: Without these, Chromium keeps trying to reach Google's hosts, which this network refuses.
QUIET_FLAGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-gpu",
]


def launch(playwright: Playwright) -> Browser:
    """Headless Debian Chromium (no browser download: the system's /usr/bin/chromium)."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make test` installs it"
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=["--no-sandbox", *QUIET_FLAGS]
    )


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now.

    Evaluated through the DevTools protocol, which the page's Content-Security-Policy does
    not govern: the node's policy stays as strict as it is for everyone.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text())
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    result: dict[str, Any] = page.evaluate("options => axe.run(document, options)", options)
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    """Violations as a reader wants them in a failure: rule, impact, where, what to fix."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {json.dumps(node['target'])}: {node['failureSummary']}")
    return "\n".join(lines)


def scroll_width(page: Page) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


def set_password_by_invitation(page: Page, url: str, password: str) -> None:
    """Open an invitation link and choose a password on its page."""
    page.goto(url)
    page.fill("#f-password", password)
    with page.expect_navigation():
        page.locator("form:has(input[value=password]) button[type=submit]").click()
    assert "/invitation/" not in page.url, page.content()
