"""A passkey in a real browser: added on the passkeys page, then used to sign in (offered in
the username field's autofill, and by the page's button where a browser has no such autofill),
with Chromium's virtual authenticator (DevTools' WebAuthn domain) standing in for a phone."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

from tests.browser.browser import DESKTOP
from tests.browser.node import BrowserNode

#: A browser that offers passkeys only through the page's button, not in autofill.
WITHOUT_AUTOFILL = "delete PublicKeyCredential.isConditionalMediationAvailable;"
AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


def test_a_member_adds_a_passkey_and_signs_in_with_it_by_autofill_and_by_button(
    browser: Browser, node: BrowserNode, member_state: Path
) -> None:
    context = browser.new_context(locale="en-GB", viewport=DESKTOP, storage_state=str(member_state))
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    added = devtools.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})

    page.goto(node.url("/account/passkeys"))
    page.fill("#f-passkey-name", "Browser test laptop")
    page.locator("[data-passkey-form] button[type=submit]").click()
    page.wait_for_load_state()
    page.locator("h2", has_text="Browser test laptop").wait_for()
    stored = devtools.send("WebAuthn.getCredentials", {"authenticatorId": added["authenticatorId"]})
    assert len(stored["credentials"]) == 1

    context.clear_cookies()
    page.goto(node.url("/signin"))  # the username field's autofill offers the passkey
    page.locator("a[href='/account']").wait_for()
    page.goto(node.url("/account/passkeys"))
    assert page.get_by_text("Never").count() == 0, "the passkey was used to sign in"

    context.clear_cookies()
    page.add_init_script(WITHOUT_AUTOFILL)
    page.goto(node.url("/signin"))
    assert page.locator("a[href='/account']").count() == 0, "still signed in"
    with page.expect_navigation():
        page.locator("[data-passkey-button]").click()
    page.locator("a[href='/account']").wait_for()
    context.close()
