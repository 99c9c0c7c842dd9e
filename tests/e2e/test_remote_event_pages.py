"""A member on one real node joins another node's event from the web: se's event is listed on
be's /events page with its origin, be's member signs in (her invitation, a password), presses
Join on be's page of it, se's organiser sees her among the participants once the Join arrives,
and be's page shows the organiser's Accept. Then Leave ends it on both nodes."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.e2e.nodes import Node, poll, ports_outside_ephemeral_range

pytestmark = pytest.mark.e2e
STRONG = "a sturdy violin bow 1927"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Node]]:
    """se and be, each trusting the other as a peer."""
    root = tmp_path_factory.mktemp("remote-event-pages")
    se, be = (Node(name, root, port) for name, port in
              zip(("se", "be"), ports_outside_ephemeral_range(2), strict=True))  # fmt: skip
    se.env["SMARTNODE_TRUSTED_PEERS"], be.env["SMARTNODE_TRUSTED_PEERS"] = be.base_url, se.base_url
    try:
        se.start()
        be.start()
        yield se, be
    finally:
        se.stop()
        be.stop()


def api(node: Node, method: str, path: str, body: dict[str, Any] | None = None,
        *, as_: str | None = None) -> Any:  # fmt: skip
    answer = httpx.request(method, node.url(path), json=body, timeout=30,
                           params={"as": as_} if as_ else None,
                           headers={"Authorization": f"Bearer {node.token}"})  # fmt: skip
    assert answer.is_success, f"{method} {path}: {answer.status_code} {answer.text}"
    return answer.json() if answer.content else None


def hidden(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(page)}


def signed_in_browser(node: Node, username: str) -> httpx.Client:
    """A browser of `username` on `node`, signed in through her invitation with a password."""
    printed = node.cli("member", "invite", username)
    link = re.search(r"https?://\S+/invitation/\S+", printed)
    assert link is not None, printed
    browser = httpx.Client(base_url=node.base_url, timeout=30, headers={"Accept": "text/html"})
    page = browser.get(link.group(0))
    done = browser.post(link.group(0), data={**hidden(page.text), "choice": "password",
                                              "password": STRONG})  # fmt: skip
    assert done.status_code == 303, done.text
    return browser


def wait(check: Any, what: str) -> Any:
    return poll(check, what, timeout=60)


def test_a_member_on_be_joins_an_event_of_se_from_the_web(pair: tuple[Node, Node]) -> None:
    se, be = pair
    for node, other in ((se, be), (be, se)):
        wait(lambda n=node, o=other: n.follow_state(n.url("/actor"), o.url("/actor")) == "accepted",
             f"{node.name} following {other.name}")  # fmt: skip
    sara, flo = se.create_member("sara", "Sara Berg"), be.create_member("flo", "Flo")
    assert "asked to follow" in be.cli("follow", "flo", se.handle("sara"))
    wait(lambda: se.follow_state(flo, sara) == "accepted", "flo following sara")
    starts = (datetime.now(UTC) + timedelta(days=20)).replace(microsecond=0)
    event = api(se, "POST", "/api/smart/v1/actors/sara/events", {
        "name": "Midsommar jam", "content": "Bring a fiddle.", "starts_at": starts.isoformat(),
        "timezone": "Europe/Stockholm", "online_url": "https://meet.example/jam",
        "join_mode": "restricted",
    }, as_="sara")  # fmt: skip
    page = "/remote-events?" + urlencode({"uri": event["uri"]})
    browser = signed_in_browser(be, "flo")
    listing = wait(lambda: (r := browser.get("/events")).status_code == 200
                   and "Midsommar jam" in r.text and r, "se's event on be's /events")  # fmt: skip
    assert f"Published on 127.0.0.1:{se.port}" in listing.text

    shown = browser.get(page)
    assert shown.status_code == 200 and "Ask to take part" in shown.text
    asked = browser.post("/remote-events/join?" + urlencode({"uri": event["uri"]}),
                         data={**hidden(shown.text), "message": "fiddle"})  # fmt: skip
    assert asked.status_code == 303 and asked.headers["location"].endswith("done=asked#take-part")
    path = f"/api/smart/v1/events/{event['id']}/participants"
    [request] = wait(lambda: api(se, "GET", path, as_="sara")["items"], "flo's Join on se")
    assert (request["actor"], request["state"], request["message"]) == (flo, "pending", "fiddle")

    api(se, "POST", f"{path}/{request['id']}/accept", as_="sara")
    wait(lambda: "You are taking part." in browser.get(page).text, "the Accept shown on be")
    assert "Midsommar jam" in browser.get("/account/events").text

    left = browser.post("/remote-events/leave?" + urlencode({"uri": event["uri"]}),
                        data=hidden(browser.get(page).text))  # fmt: skip
    assert left.status_code == 303
    wait(lambda: not api(se, "GET", path, as_="sara")["items"], "flo's Leave on se")
    assert be.rows("SELECT count(*) FROM event_participants")[0][0] == 0
