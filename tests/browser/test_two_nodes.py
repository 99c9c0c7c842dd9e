"""The whole path of a call across two real nodes, in the browser, in English and in French.

On se, a member signs in with a password, starts a project and publishes a call through the
forms. On be, a member who chose a passkey on their invitation signs in with it (Chromium's
virtual authenticator), finds the call on be's board, and applies. Back on se the coordinator
accepts with a message; on be the applicant sees the decision. A member joins an event. Every
word asserted comes from the node's own catalogs; every step is pictured under
artifacts/screenshots/<lang>/two-nodes-*.png; the effects are read from both databases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from smartnode.web.i18n import gettext, translator, using
from tests.browser.browser import DESKTOP
from tests.browser.conftest import SCREENSHOTS
from tests.browser.node import PASSWORD
from tests.browser.test_passkey import AUTHENTICATOR, WITHOUT_AUTOFILL
from tests.browser.two_nodes import DEADLINE, SeededNode, TwoNodes, two_nodes
from tests.e2e.nodes import poll

LOCALES = {"en": "en-GB", "fr": "fr-FR"}


@dataclass(frozen=True)
class Cast:
    """Who acts in one language's run, and what they write."""

    coordinator: str  # a member of se
    applicant: str  # a member of be
    project: str
    call: str
    motivation: str
    message: str


CASTS = {
    "en": Cast("astrid", "lotte.vermeulen", "Harbour Sound Workshop",
               "Sound engineer for a harbour festival",
               "I have mixed live radio in Ghent for eight years.",
               "Welcome aboard: rehearsals start on the first of June."),
    "fr": Cast("elin.sjoberg", "amelie.dubois", "Atelier sonore du port",
               "Ingénieure du son pour un festival portuaire",
               "Je mixe des concerts en plein air à Liège depuis six ans.",
               "Bienvenue : les répétitions commencent le premier juin."),
}  # fmt: skip


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoNodes]:
    with two_nodes(tmp_path_factory.mktemp("two-nodes")) as nodes:
        yield nodes


class Run:
    """One language's browser contexts, its words, and its screenshots."""

    def __init__(self, browser: Browser, lang: str) -> None:
        self.browser, self.lang = browser, lang
        self.contexts: list[BrowserContext] = []
        self.shots = SCREENSHOTS / lang
        self.shots.mkdir(parents=True, exist_ok=True)

    def page(self) -> Page:
        """A new desktop page in a context of its own (the nodes share the host localhost)."""
        context = self.browser.new_context(locale=LOCALES[self.lang], viewport=DESKTOP)
        self.contexts.append(context)
        return context.new_page()

    def shot(self, page: Page, name: str) -> None:
        assert page.locator("html").get_attribute("lang") == self.lang, page.url
        page.screenshot(path=str(self.shots / f"two-nodes-{name}.png"), full_page=True)

    def press(self, page: Page, words: str, role: Literal["button", "link"] = "button") -> None:
        """Click the button (or link) named by `words` in this language and wait for the page."""
        with page.expect_navigation():
            page.get_by_role(role, name=self.words(words), exact=True).click()

    def words(self, message: str, **variables: str) -> str:
        """`message` as the node says it in this language (from its own catalogs, with the same
        elision); outside English, a message left untranslated fails the test."""
        if self.lang != "en":
            assert translator(self.lang).gettext(message) != message, f"untranslated: {message}"
        with using(self.lang):
            return gettext(message, **variables)

    def plain(self, message: str, **variables: str) -> str:
        """A message with markup in this language, filled in, as its text reads."""
        return re.sub(r"<[^>]+>", "", self.words(message, **variables))

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def choose_language(run: Run, page: Page) -> None:
    """The member's own setting, through the switcher at the foot of every page."""
    with page.expect_navigation():
        page.locator(f"footer nav.languages a[hreflang={run.lang}]").click()
    assert page.locator("html").get_attribute("lang") == run.lang


def sign_in_with_password(run: Run, node: SeededNode, username: str) -> Page:
    """Choose a password on the invitation page, sign out, sign in again with it."""
    page = run.page()
    page.goto(node.url(node.invitation_path(username)))
    assert page.locator("html").get_attribute("lang") == run.lang, "Accept-Language is honoured"
    page.fill("#f-password", PASSWORD)
    run.press(page, "Save my password")
    choose_language(run, page)
    page.goto(node.url("/account"))
    run.press(page, "Sign out")
    page.goto(node.url("/signin"))
    page.fill("#f-name", username)
    page.fill("#f-password", PASSWORD)
    run.shot(page, "1-signin-password")
    run.press(page, "Sign in")
    assert page.get_by_role("link", name=run.words("Your account")).count() == 1, page.url
    return page


def sign_in_with_passkey(run: Run, node: SeededNode, username: str) -> Page:
    """Take the invitation's passkey way, add one, sign out, sign in with the passkey."""
    page = run.page()
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    added = devtools.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    page.add_init_script(WITHOUT_AUTOFILL)  # sign in by the page's button, not by autofill
    page.goto(node.url(node.invitation_path(username)))
    run.press(page, "Continue and add a passkey")
    choose_language(run, page)
    page.goto(node.url("/account/passkeys"))
    page.fill("#f-passkey-name", "Laptop")
    page.get_by_role("button", name=run.words("Add a passkey"), exact=True).click()
    page.locator("h2", has_text="Laptop").wait_for()
    stored = devtools.send("WebAuthn.getCredentials", {"authenticatorId": added["authenticatorId"]})
    assert len(stored["credentials"]) == 1
    page.goto(node.url("/account"))
    run.press(page, "Sign out")
    page.goto(node.url("/signin"))
    run.shot(page, "4-signin-passkey")
    run.press(page, "Sign in with a passkey")
    page.get_by_role("link", name=run.words("Your account")).wait_for()
    return page


def publish_call(run: Run, node: SeededNode, page: Page, cast: Cast) -> tuple[str, str]:
    """Start a project and publish its call through the forms; the paths of both."""
    page.goto(node.url("/new/project"))
    page.fill("#f-name", cast.project)
    page.fill("#f-summary", cast.motivation)
    page.select_option("#f-country", "SE")
    page.fill("#f-city", "Malmö")
    page.fill("#f-sectors", "music, sound")
    run.press(page, "Start the project")
    project = node.path_of(page.url)
    run.shot(page, "2-project")
    run.press(page, "Publish a call", role="link")
    page.fill("#f-title", cast.call)
    page.fill("#f-description", "Three days of concerts on the quay; we need one more engineer.")
    page.check("#f-languages-en")
    page.fill("#f-positions", "1")
    page.fill("#f-pay_amount", "1800")
    page.fill("#f-pay_currency", "EUR")
    page.fill("#f-closes_on", (date.today() + timedelta(days=30)).isoformat())
    run.shot(page, "3-call-form")
    run.press(page, "Publish the call")
    call = node.path_of(page.url)
    assert call.startswith("/calls/"), page.content()
    assert page.locator("h1").inner_text() == cast.call
    return project, call


def apply_from_board(run: Run, node: SeededNode, page: Page, cast: Cast) -> None:
    """Find the call on the board (delivered from the other node) and apply with the form."""

    def listed() -> bool:
        page.goto(node.url("/board"))
        return page.get_by_role("link", name=cast.call, exact=True).count() == 1

    poll(listed, f"the call reaching {node.name}'s board", DEADLINE)
    assert page.locator("h1").inner_text() == run.words("Call board")
    run.shot(page, "5-board")
    card = page.locator("li.call-card", has=page.get_by_role("link", name=cast.call, exact=True))
    link = card.locator("a[href^='/authorize_interaction']")
    said = run.plain('Apply<span class="visually-hidden">: %(title)s</span>', title=cast.call)
    assert " ".join((link.text_content() or "").split()) == " ".join(said.split())
    with page.expect_navigation():
        link.click()
    assert node.path_of(page.url) == "/apply", page.url
    assert cast.call in page.locator("h1").inner_text()
    page.fill("#a-motivation", cast.motivation)
    page.fill("#a-links", "https://portfolio.example/live-sound")
    run.shot(page, "6-apply")
    run.press(page, "Send my application")
    assert page.locator("h1").inner_text() == run.words("Your application was sent")


def accept(run: Run, node: SeededNode, page: Page, call: str, cast: Cast) -> None:
    """The coordinator finds the application in the call's queue and accepts it."""

    def queued() -> bool:
        page.goto(node.url(call))
        run.press(page, "Applications to this call", role="link")
        return page.locator(".motivation", has_text=cast.motivation).count() == 1

    poll(queued, f"the application reaching {node.name}", DEADLINE)
    run.shot(page, "7-queue")
    article = page.locator("article.application", has_text=cast.motivation)
    article.locator("textarea[name=message]").fill(cast.message)
    with page.expect_navigation():
        article.get_by_role("button", name=run.words("Accept"), exact=True).click()
    notice = run.words("The applicant was accepted into the team and told so.")
    assert page.get_by_role("status").inner_text() == notice
    run.shot(page, "8-accepted")


def see_decision(run: Run, node: SeededNode, page: Page, cast: Cast) -> None:
    """The applicant's own list (the call, its project, the decision), and their notification
    of it with the coordinator's message."""

    def decided() -> bool:
        page.goto(node.url("/applications"))
        return run.words("accepted") in page.locator("tr", has_text=cast.call).inner_text()

    poll(decided, f"the decision reaching {node.name}", DEADLINE)
    assert page.locator("h1").inner_text() == run.words("Your applications")
    assert cast.project in page.locator("tr", has_text=cast.call).inner_text()
    run.shot(page, "9-decision")
    page.goto(node.url("/account/notifications"))
    told = run.words("Your application to %(title)s was accepted.", title=cast.call)
    notice = page.locator("li.card", has_text=told)
    assert notice.locator(".detail").inner_text() == cast.message
    run.shot(page, "9-decision-notification")


def join_event(run: Run, node: SeededNode, page: Page) -> str:
    """Join the node's upcoming event with its Join button; the event's URI."""
    [(uri,)] = node.rows("SELECT uri FROM objects WHERE kind = 'event' AND local = 1")
    page.goto(uri)
    run.press(page, "Join")
    assert run.words("You are taking part.") in page.locator("#take-part").inner_text()
    run.shot(page, "10-event-joined")
    return str(uri)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_call_goes_from_one_node_to_a_member_of_another_and_back(
    browser: Browser, pair: TwoNodes, lang: str
) -> None:
    se, be, cast, run = pair.a, pair.b, CASTS[lang], Run(browser, lang)
    try:
        coordinator = sign_in_with_password(run, se, cast.coordinator)
        _, call = publish_call(run, se, coordinator, cast)
        applicant = sign_in_with_passkey(run, be, cast.applicant)
        apply_from_board(run, be, applicant, cast)
        accept(run, se, coordinator, call, cast)
        see_decision(run, be, applicant, cast)
        event = join_event(run, se, coordinator)
    finally:
        run.close()

    call_uri = se.url(call)
    on_se = se.rows(
        "SELECT a.uri, a.state, a.role, a.local, m.uri FROM applications a"
        " JOIN objects c ON c.id = a.call_id JOIN actors m ON m.id = a.applicant_id"
        " WHERE c.uri = ?",
        (call_uri,),
    )
    on_be = be.rows(
        "SELECT a.uri, a.state, a.role, a.local, a.agreement_uri FROM applications a"
        " JOIN objects c ON c.id = a.call_id WHERE c.uri = ?",
        (call_uri,),
    )
    applicant_uri = be.url(f"/members/{cast.applicant}")
    assert on_se == [(on_be[0][0], "accepted", "member", 1, applicant_uri)]
    assert on_be[0][1:4] == ("accepted", "member", 0) and on_be[0][4], on_be
    [(message,)] = se.rows(
        "SELECT a.document FROM activities a WHERE a.activity_type = 'Accept' AND a.object_uri = ?",
        (on_be[0][0],),
    )
    assert cast.message.split(":")[0] in message, "the message travelled with the Accept"
    team = se.rows(
        "SELECT pm.role FROM project_members pm JOIN actors m ON m.id = pm.member_id"
        " WHERE m.uri = ?",
        (applicant_uri,),
    )
    assert team == [("member",)], "the applicant joined the project's team on se"
    joined = se.rows(
        "SELECT p.state FROM event_participants p JOIN objects e ON e.id = p.event_id"
        " JOIN actors m ON m.id = p.actor_id WHERE e.uri = ? AND m.uri = ?",
        (event, se.url(f"/members/{cast.coordinator}")),
    )
    assert joined == [("accepted",)]
