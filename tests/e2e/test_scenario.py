"""The cooperative's scenario on three real nodes (se, be, fr) that trust each other as peers:

1. a project hosted on se gets a coordinator on be (Invite, Accept, Add);
2. the project publishes an open call; se's node actor announces it to its peers, so it is on
   the be and fr boards;
3. a member on fr applies (Offer to the project only); the coordinator on be accepts it from be
   (a signed Accept that se honours because it comes from a coordinator of the project);
4. the fr member is in the project's members collection on se and in the team that be and fr
   know;
5. an announcement by the fr member addressed to the project is relayed by the project (FEP-1b12)
   to its followers, here a member on be.

A member on fr takes part in a restricted event on be: Join, the organizer's Accept, Leave.

And match-making's privacy promise: a call from be notifies the matching members of se and fr,
on their own nodes, and nothing about those members leaves their node.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.e2e.nodes import Federation, Node, poll, ports_outside_ephemeral_range

pytestmark = pytest.mark.e2e

DANCE = "http://data.europa.eu/esco/skill/2aeadb90-7ddc-4329-9268-8d5a6bf76b99"  # perform dances
PROJECT = "nordic-tour"


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """se, be and fr, each listing the two others in SMARTNODE_TRUSTED_PEERS."""
    root = tmp_path_factory.mktemp("scenario")
    ports = ports_outside_ephemeral_range(3)
    nodes = [Node(name, root, port) for name, port in zip(("se", "be", "fr"), ports, strict=True)]
    for node in nodes:
        others = [other.base_url for other in nodes if other is not node]
        node.env["SMARTNODE_TRUSTED_PEERS"] = ",".join(others)
    federation = Federation(*nodes)
    try:
        with ThreadPoolExecutor(3) as pool:
            for started in [pool.submit(node.start) for node in nodes]:
                started.result()
        for node in nodes:
            node.cli("seed-skills")
        yield federation
    finally:
        for node in nodes:
            node.stop()


def call(node: Node, method: str, path: str, body: dict[str, Any] | None = None,
         *, as_: str | None = None, status: int | None = None) -> Any:  # fmt: skip
    """The node's JSON API as an admin (acting as member `as_`); the decoded answer."""
    params = {"as": as_} if as_ else None
    answer = httpx.request(
        method, node.url(path), json=body, params=params, timeout=30,
        headers={"Authorization": f"Bearer {node.token}"},
    )  # fmt: skip
    ok = answer.status_code == status if status else answer.is_success
    assert ok, f"{method} {path}: {answer.status_code} {answer.text}"
    return answer.json() if answer.content else None


def wait(check: Any, what: str) -> Any:
    return poll(check, what, timeout=60)


def peers_follow_each_other(federation: Federation) -> None:
    for node in federation.nodes():
        for other in federation.nodes():
            if other is not node:
                follower, followed = node.url("/actor"), other.url("/actor")
                wait(lambda n=node, a=follower, b=followed: n.follow_state(a, b) == "accepted",
                     f"{node.name}'s node actor following {other.name}'s")  # fmt: skip


def board(node: Node) -> list[str]:
    return [item["uri"] for item in call(node, "GET", "/api/smart/v1/board")["items"]]


def team(node: Node, project_uri: str) -> dict[str, str]:
    """The project's team as `node` knows it: actor id → role."""
    answer = httpx.get(node.url("/api/smart/v1/teams"), params={"project": project_uri}, timeout=30)
    if answer.status_code != 200:
        return {}
    return {member["actor_uri"]: member["role"] for member in answer.json()["team"]}


def members_collection(node: Node, slug: str) -> list[str]:
    root = node.get_ap(f"/projects/{slug}/members").json()
    page = node.get_ap(root["first"]).json() if isinstance(root["first"], str) else root["first"]
    return list(page.get("orderedItems", []))


def test_a_cross_border_team_publishes_a_call_takes_an_applicant_and_relays_her_post(
    peers: Federation,
) -> None:
    se, be, fr = peers.nodes()
    peers_follow_each_other(peers)
    se.create_member("sven", "Sven Ek")
    bea = be.create_member("bea", "Bea Claes")
    bob = be.create_member("bob", "Bob Maes")
    fleur = fr.create_member("fleur", "Fleur Martin")
    call(se, "POST", "/api/smart/v1/projects", {"slug": PROJECT, "name": "Nordic Tour",
                                          "coordinator": "sven"})  # fmt: skip
    project = se.url(f"/projects/{PROJECT}")

    # 1. A coordinator on be.
    call(se, "POST", f"/api/smart/v1/projects/{PROJECT}/invitations",
         {"actor": be.handle("bea"), "role": "coordinator"}, as_="sven")  # fmt: skip
    invitation = wait(lambda: call(be, "GET", "/api/smart/v1/invitations", as_="bea")["items"],
                      "the Invite reaching bea on be")[0]  # fmt: skip
    assert (invitation["project"], invitation["role"]) == (project, "coordinator")
    call(be, "POST", f"/api/smart/v1/invitations/{invitation['id']}/accept", as_="bea")
    wait(lambda: team(se, project).get(bea) == "coordinator", "bea coordinating on se")
    wait(lambda: team(be, project).get(bea) == "coordinator", "be knowing bea's role")
    assert f"asked to follow {se.handle(PROJECT)}" in be.cli("follow", "bob", se.handle(PROJECT))
    wait(lambda: se.follow_state(bob, project) == "accepted", "bob following the project")

    # 2. The call reaches every board.
    closes = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    published = call(se, "POST", f"/api/smart/v1/actors/{PROJECT}/calls", {
        "title": "Dancers for the Nordic Tour",
        "description": "Three weeks on the road in Sweden, Belgium and France. #dance",
        "skills": [DANCE], "languages": ["en"], "remote": False,
        "place": {"country": "SE", "city": "Malmö"}, "positions": 2, "closes_at": closes,
        "starts_on": str(date.today() + timedelta(days=40)),
        "ends_on": str(date.today() + timedelta(days=60)),
    }, as_="sven")  # fmt: skip
    call_uri = published["uri"]
    for node in (se, be, fr):
        wait(lambda n=node: call_uri in board(n), f"the call on {node.name}'s board")

    # 3. fr applies; be's coordinator accepts.
    applied = call(fr, "POST", "/api/smart/v1/applications",
                   {"call": call_uri, "motivation": "I toured with Rosas for two seasons."},
                   as_="fleur")  # fmt: skip
    assert (applied["project"], applied["state"], applied["local"]) == (project, "pending", False)
    held = wait(lambda: call(se, "GET", f"/api/smart/v1/projects/{PROJECT}/applications",
                             as_="sven")["items"], "the Offer reaching se")  # fmt: skip
    assert [(a["applicant"], a["state"]) for a in held] == [(fleur, "pending")]
    copies = wait(lambda: coordinating(be, "bea"), "the application's copy reaching be")
    offer = copies[0]["uri"]
    call(be, "POST", "/api/smart/v1/remote-decisions",
         {"offer": offer, "decision": "accept", "role": "member"}, as_="bea")  # fmt: skip

    def accepted() -> list[dict[str, Any]]:
        mine = call(fr, "GET", "/api/smart/v1/applications", as_="fleur")["items"]
        return [a for a in mine if a["state"] == "accepted"]

    mine = wait(accepted, "the Accept reaching fleur on fr")
    assert mine[0]["uri"] == applied["uri"]

    # 4. fleur is in the team on every node.
    wait(lambda: fleur in members_collection(se, PROJECT), "fleur in se's members collection")
    assert team(se, project)[fleur] == "member"
    wait(lambda: team(fr, project).get(fleur) == "member", "fr knowing fleur's place")
    wait(lambda: team(be, project).get(fleur) == "member", "be knowing fleur's place")
    for node in (se, be):  # each person by their own handle, port and all, on every node
        known = httpx.get(node.url("/api/smart/v1/teams"), params={"project": project}, timeout=30)
        handles = {m["actor_uri"]: m["handle"] for m in known.json()["team"]}
        assert (handles[bea], handles[fleur]) == (be.handle("bea"), fr.handle("fleur"))
    page = httpx.get(project, headers={"Accept": "text/html"}, timeout=30).text
    assert be.handle("bea") in page and fr.handle("fleur") in page
    decided = call(se, "GET", f"/api/smart/v1/projects/{PROJECT}/applications", as_="sven")["items"]
    assert [(a["applicant"], a["state"], a["role"]) for a in decided] == [
        (fleur, "accepted", "member")
    ]
    offers = fr.rows("SELECT d.inbox_uri FROM deliveries d JOIN activities a"
                     " ON a.id = d.activity_id WHERE a.activity_type = 'Offer'")  # fmt: skip
    assert [inbox.startswith(se.base_url) for (inbox,) in offers] == [True]  # the project only

    # 5. fleur's post to the project reaches the project's followers as the project's boost.
    post = call(fr, "POST", "/api/smart/v1/actors/fleur/posts", {
        "content": "Rehearsals start Monday in Malmö!", "mentions": [se.handle(PROJECT)],
    }, as_="fleur")  # fmt: skip
    relayed = wait(lambda: se.rows(
        "SELECT a.document FROM activities a JOIN actors s ON s.id = a.actor_id"
        " WHERE s.uri = ? AND a.activity_type = 'Announce' AND a.object_uri = ?",
        (project, post["uri"])), "the project's Announce of fleur's note")  # fmt: skip
    assert relayed
    wait(lambda: be.rows("SELECT count(*) FROM reactions r JOIN objects o ON o.id = r.object_id"
                         " WHERE o.uri = ? AND r.kind = 'announce'", (post["uri"],))[0][0] == 1,
         "be storing fleur's note with the project's boost")  # fmt: skip


def coordinating(node: Node, member: str) -> list[dict[str, Any]]:
    """Applications a coordinator on `node` may decide (copies sent by projects elsewhere)."""
    answer = httpx.get(
        node.url("/api/smart/v1/applications"), params={"as": member, "role": "coordinator"},
        headers={"Authorization": f"Bearer {node.token}"}, timeout=30,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def matching_member(node: Node, username: str, *, suggestions: bool) -> str:
    """A member who dances and speaks English, available soon; opted in to suggestions or not."""
    uri = node.create_member(username, username.title())
    call(node, "PUT", f"/api/smart/v1/members/{username}/matching-profile", {
        "skills": [{"uri": DANCE, "level": 4}],
        "languages": [{"language": "en", "level": "C1"}],
        "availability": [{"starts_on": str(date.today()),
                          "ends_on": str(date.today() + timedelta(days=120))}],
        "remote_ok": True, "cross_border": True,
        "opt_ins": {"suggestions": suggestions, "listed": suggestions},
    })  # fmt: skip
    return uri


def notified(node: Node, username: str, call_uri: str) -> list[dict[str, Any]]:
    items = call(node, "GET", "/api/smart/v1/notifications", as_=username)["items"]
    return [n for n in items if n["kind"] == "call_match" and n["object_uri"] == call_uri]


def test_a_call_from_be_notifies_matching_members_on_se_and_fr_who_never_leave_home(
    peers: Federation,
) -> None:
    se, be, fr = peers.nodes()
    peers_follow_each_other(peers)
    siri = matching_member(se, "siri", suggestions=True)
    olle = matching_member(se, "olle", suggestions=False)
    fanny = matching_member(fr, "fanny", suggestions=True)
    be.create_member("bert", "Bert Jacobs")
    call(be, "POST", "/api/smart/v1/projects",
         {"slug": "ballet-bruxelles", "name": "Ballet Bruxelles",
          "coordinator": "bert"})  # fmt: skip
    published = call(be, "POST", "/api/smart/v1/actors/ballet-bruxelles/calls", {
        "title": "Dancers for a remote residency", "description": "Online rehearsals, 2027.",
        "skills": [DANCE], "languages": ["en"], "remote": True,
        "starts_on": str(date.today() + timedelta(days=30)),
        "ends_on": str(date.today() + timedelta(days=40)),
    }, as_="bert")  # fmt: skip
    call_uri = published["uri"]

    siri_told = wait(lambda: notified(se, "siri", call_uri), "siri notified on se")
    fanny_told = wait(lambda: notified(fr, "fanny", call_uri), "fanny notified on fr")
    assert siri_told[0]["score"] >= 0.5 and "✓" in siri_told[0]["explanation"]
    assert fanny_told[0]["score"] >= 0.5
    assert notified(se, "olle", call_uri) == []  # opted out: never suggested

    for member in (siri, olle, fanny):  # be never learns of them ...
        assert be.rows("SELECT count(*) FROM actors WHERE uri = ?", (member,)) == [(0,)]
    for node, member in ((se, siri), (se, olle), (fr, fanny)):  # ... and nothing about them left
        sent = node.rows(
            "SELECT count(*) FROM deliveries d JOIN activities a ON a.id = d.activity_id"
            " WHERE a.document LIKE ?", (f"%{member}%",),
        )  # fmt: skip
        assert sent == [(0,)], member


def test_a_member_on_fr_takes_part_in_an_event_on_be_once_its_organizer_accepts(
    peers: Federation,
) -> None:
    se, be, fr = peers.nodes()
    basile, flo = be.create_member("basile", "Basile"), fr.create_member("flo", "Flo")
    assert "asked to follow" in fr.cli("follow", "flo", be.handle("basile"))
    wait(lambda: be.follow_state(flo, basile) == "accepted", "flo following basile")
    starts = (datetime.now(UTC) + timedelta(days=15)).replace(microsecond=0)
    event = call(be, "POST", "/api/smart/v1/actors/basile/events", {
        "name": "Open rehearsal", "content": "Bring your instrument.",
        "starts_at": starts.isoformat(), "timezone": "Europe/Brussels",
        "online_url": "https://meet.example/rehearsal", "join_mode": "restricted", "capacity": 2,
    }, as_="basile")  # fmt: skip
    wait(lambda: fr.rows("SELECT id FROM objects WHERE uri = ?", (event["uri"],)),
         "the Event reaching fr")  # fmt: skip

    joined = call(fr, "POST", "/api/smart/v1/participations",
                  {"event": event["uri"], "message": "oboe"}, as_="flo", status=201)  # fmt: skip
    assert joined["state"] == "pending"
    path = f"/api/smart/v1/events/{event['id']}/participants"
    [request] = wait(lambda: call(be, "GET", path, as_="basile")["items"],
                     "flo's Join reaching be")  # fmt: skip
    assert (request["actor"], request["state"], request["message"]) == (flo, "pending", "oboe")
    call(be, "POST", f"{path}/{request['id']}/accept", as_="basile")

    def accepted() -> list[dict[str, Any]]:
        mine = call(fr, "GET", "/api/smart/v1/participations", as_="flo")["items"]
        return [p for p in mine if p["state"] == "accepted"]

    assert wait(accepted, "the Accept reaching flo on fr")[0]["event"] == event["uri"]
    served = be.get_ap(event["uri"]).json()
    assert (served["participantCount"], served["remainingAttendeeCapacity"]) == (1, 1)

    leave = urlencode({"event": event["uri"], "as": "flo"})
    call(fr, "DELETE", f"/api/smart/v1/participations?{leave}", status=204)
    wait(lambda: not call(be, "GET", path, as_="basile")["items"], "flo's Leave reaching be")
    wait(
        lambda: be.get_ap(event["uri"]).json()["participantCount"] == 0,
        "the count served by be (cached documents refresh within seconds)",
    )
    assert se.rows("SELECT count(*) FROM event_participants")[0][0] == 0
