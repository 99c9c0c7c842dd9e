"""Taking part in events (Mobilizon's model) with Fedify, an independent implementation whose
inbox verifies HTTP Signatures, over loopback: Fedify's actors join our events (Accept, Reject
with the reason, pending for the organizer, Leave), Fedify reads the counts off our Event, and
our member joins an Event Fedify publishes (Fedify verifies our Join and answers it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.interop.conftest import node_binary
from tests.interop.test_fedify_federation import (
    MEMBER,
    Pair,
    _seed,
    eventually,
    fedify_server,
)
from tests.servers import check_cli, free_port, node_env, smartnode_server

pytestmark = pytest.mark.interop

MZ = "https://joinmobilizon.org/ns#"
SC = "http://schema.org#"
FULL = "the event is full"


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pair, str]]:
    """Our node and Fedify; a member token of the organizer, MEMBER."""
    node_binary()  # fail before any server starts
    data_dir = tmp_path_factory.mktemp("fedify-events")
    port = free_port()
    _seed(data_dir, port)
    env = node_env(data_dir, port)
    token = check_cli(["token", "create", "interop-events", "--member", MEMBER], env).strip()
    with (
        fedify_server(data_dir / "fedify.log") as fedify,
        smartnode_server(data_dir, port=port, init=False, ready_path="/actor") as node,
    ):
        yield Pair(node, fedify), token


def _api(pair: Pair, token: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.request(method, pair.node.url(path), headers=headers, timeout=30, **kwargs)


def _our_event(pair: Pair, token: str, name: str, **fields: Any) -> dict[str, Any]:
    """An event of our member a month from now (the API's answer)."""
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    body = {
        "name": name, "content": "Öppen repetition av Idomeneo.",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "timezone": "Europe/Stockholm",
        "place": {"name": "Malmö Opera", "locality": "Malmö", "country": "SE"}, **fields,
    }  # fmt: skip
    answer = _api(pair, token, "POST", f"/api/smart/v1/actors/{MEMBER}/events", json=body)
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _lookup(pair: Pair, uri: str) -> dict[str, Any]:
    """What Fedify makes of the object at `uri`, fetched without a cache."""
    seen = pair.fedify.control("/control/lookup", {"uri": uri})
    assert seen["ok"], seen
    return seen


def _counts(pair: Pair, event_uri: str) -> tuple[Any, Any]:
    """participantCount and remainingAttendeeCapacity as Fedify's JSON-LD expansion reads them."""
    terms = _lookup(pair, event_uri)["terms"]
    return terms.get(f"{MZ}participantCount"), terms.get(f"{SC}remainingAttendeeCapacity")


def _join(pair: Pair, event_uri: str, actor: str = "fedi") -> str:
    """ACTOR of Fedify sends Join{event} to its author (ours); the Join's id."""
    sent = pair.fedify.control("/control/join", {"event": event_uri, "actor": actor})
    assert sent["ok"], sent  # our inbox took Fedify's signed Join
    assert sent["author"] == pair.member_uri
    join_id: str = sent["id"]
    return join_id


def _answer(pair: Pair, join_id: str) -> dict[str, Any] | None:
    """Fedify's record of its Join once a verified Accept or Reject of it arrived."""
    sent: dict[str, Any] = pair.fedify.state()["joins"][join_id]
    return sent if sent["state"] != "pending" else None


def _participation(pair: Pair, join_id: str) -> str | None:
    found = pair.rows("SELECT state FROM event_participants WHERE uri = ?", join_id)
    return found[0][0] if found else None


def _stored_count(pair: Pair, event_uri: str) -> int:
    ((extra,),) = pair.rows("SELECT extra FROM objects WHERE uri = ?", event_uri)
    count: int = json.loads(extra)["event"]["participants"]
    return count


def _handled(pair: Pair, activity_id: str) -> list[tuple[Any, ...]]:
    return [row for row in pair.stored(activity_id) if row[2] == "done"]


def test_fedify_joins_a_free_event_then_a_full_one_is_rejected_and_leave_frees_the_place(
    events: tuple[Pair, str],
) -> None:
    pair, token = events
    fedi, other = pair.fedify.actor_uri(), pair.fedify.actor_uri("other")
    event = _our_event(pair, token, "Open rehearsal", capacity=1)
    uri = event["uri"]
    seen = _lookup(pair, uri)
    assert (seen["type"], seen["id"], seen["attributedTo"]) == ("Event", uri, pair.member_uri)
    assert seen["name"] == "Open rehearsal" and seen["startTime"] is not None
    assert seen["terms"][f"{MZ}joinMode"] == ["free"]
    assert seen["terms"][f"{SC}maximumAttendeeCapacity"] == [1]
    assert _counts(pair, uri) == ([0], [1])

    join_id = _join(pair, uri)
    sent = eventually(lambda: _answer(pair, join_id), "Fedify verifies our answer", pair)
    answer = sent["answer"]
    assert (sent["state"], answer["type"], answer["actor"]) == ("accepted", "Accept",
                                                                 pair.member_uri)  # fmt: skip
    assert answer["object"] == {"id": join_id, "type": "Join", "actor": fedi, "object": uri}
    assert answer["to"] == [fedi] and answer["id"].startswith(pair.node.base_url + "/")
    assert [seen["actor"] for seen in pair.fedify.verified(answer["id"])] == [pair.member_uri]
    assert _participation(pair, join_id) == "accepted" and _stored_count(pair, uri) == 1
    eventually(lambda: _counts(pair, uri) == ([1], [0]), "Fedify reads 1 taking part", pair)

    full = _join(pair, uri, "other")
    sent = eventually(lambda: _answer(pair, full), "Fedify verifies our Reject", pair)
    answer = sent["answer"]
    assert (sent["state"], answer["type"], answer["content"]) == ("rejected", "Reject", FULL)
    assert answer["object"] == {"id": full, "type": "Join", "actor": other, "object": uri}
    assert _participation(pair, full) is None  # a refused Join leaves no row

    left = pair.fedify.control("/control/leave", {"event": uri, "actor": "fedi"})
    assert left["ok"], left
    eventually(lambda: _handled(pair, left["id"]), "our node handles Fedify's Leave", pair)
    assert _participation(pair, join_id) is None and _stored_count(pair, uri) == 0
    eventually(lambda: _counts(pair, uri) == ([0], [1]), "Fedify reads 0 taking part", pair)

    again = _join(pair, uri, "other")  # the place Fedify's actor left is free again
    sent = eventually(lambda: _answer(pair, again), "Fedify verifies our Accept", pair)
    assert (sent["state"], sent["answer"]["actor"]) == ("accepted", pair.member_uri)
    assert _participation(pair, again) == "accepted" and _stored_count(pair, uri) == 1
    assert pair.fedify.state()["errors"] == []


def test_fedify_joins_a_restricted_event_and_is_accepted_when_the_organizer_says_so(
    events: tuple[Pair, str],
) -> None:
    pair, token = events
    fedi = pair.fedify.actor_uri()
    event = _our_event(pair, token, "Masterclass", join_mode="restricted")
    assert _lookup(pair, event["uri"])["terms"][f"{MZ}joinMode"] == ["restricted"]

    join_id = _join(pair, event["uri"])
    eventually(lambda: _handled(pair, join_id), "our node handles Fedify's Join", pair)
    assert _participation(pair, join_id) == "pending"
    notified = pair.rows(
        "SELECT n.kind FROM notifications n JOIN actors a ON a.id = n.actor_id"
        " WHERE a.uri = ? AND n.object_uri = ?",
        pair.member_uri,
        join_id,
    )
    assert notified == [("event_join",)]
    assert pair.fedify.state()["joins"][join_id]["state"] == "pending"  # no answer sent yet

    path = f"/api/smart/v1/events/{event['id']}/participants"
    listed = _api(pair, token, "GET", path, params={"state": "pending"})
    assert listed.status_code == 200, listed.text
    (request,) = listed.json()["items"]
    assert request["actor"] == fedi
    decided = _api(pair, token, "POST", f"{path}/{request['id']}/accept")
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "accepted"

    sent = eventually(lambda: _answer(pair, join_id), "Fedify verifies the organizer's Accept",
                      pair)  # fmt: skip
    answer = sent["answer"]
    assert (sent["state"], answer["type"], answer["actor"]) == ("accepted", "Accept",
                                                                 pair.member_uri)  # fmt: skip
    assert answer["object"] == {"id": join_id, "type": "Join", "actor": fedi,
                                "object": event["uri"]}  # fmt: skip
    assert _participation(pair, join_id) == "accepted"
    eventually(lambda: _counts(pair, event["uri"]) == ([1], None),
               "Fedify reads 1 taking part", pair)  # fmt: skip
    assert pair.fedify.state()["errors"] == []


def _fedify_event(pair: Pair, name: str) -> str:
    """Fedify's actor publishes a public Event and sends its Create to our member; its id,
    once our node stored it."""
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=40)
    published = pair.fedify.control("/control/event", {
        "to": pair.member_uri, "name": name, "content": "<p>Tre dagar med barockdans.</p>",
        "startTime": starts.isoformat().replace("+00:00", "Z"),
        "endTime": (starts + timedelta(hours=3)).isoformat().replace("+00:00", "Z"),
    })  # fmt: skip
    assert published["ok"], published
    event_id: str = published["eventId"]
    assert eventually(
        lambda: pair.rows("SELECT kind, visibility FROM objects WHERE uri = ?", event_id),
        "our node stores Fedify's Event",
        pair,
    ) == [("event", "public")]  # Interop: Fedify compacts the public collection to as:Public
    return event_id


def _joined(pair: Pair, event_id: str) -> tuple[str, dict[str, Any]] | None:
    """Our member's Join of `event_id` as Fedify's inbox verified it."""
    for join_id, join in pair.fedify.state()["joinsReceived"].items():
        if (join["joiner"], join["event"]) == (pair.member_uri, event_id):
            return join_id, join
    return None


def _our_state(pair: Pair, token: str, event_id: str) -> str | None:
    answer = _api(pair, token, "GET", "/api/smart/v1/participations")
    assert answer.status_code == 200, answer.text
    states = [item["state"] for item in answer.json()["items"] if item["event"] == event_id]
    return states[0] if states else None


def test_our_member_joins_a_fedify_event_and_fedify_accepts_then_our_member_leaves(
    events: tuple[Pair, str],
) -> None:
    pair, token = events
    fedi = pair.fedify.actor_uri()
    event_id = _fedify_event(pair, "Barockdans i Lund")
    message = "Jag har dansat barock i tio år."
    asked = _api(pair, token, "POST", "/api/smart/v1/participations",
                 json={"event": event_id, "message": message})  # fmt: skip
    assert asked.status_code == 201, asked.text
    assert asked.json()["state"] == "pending"

    join_id, join = eventually(lambda: _joined(pair, event_id), "Fedify verifies our Join", pair)
    assert join["to"] == [fedi] and join_id.startswith(pair.node.base_url + "/")
    assert join["terms"][f"{MZ}participationMessage"] == [message]  # JSON-LD keeps the term
    assert _participation(pair, join_id) == "pending"
    assert _our_state(pair, token, event_id) == "pending"

    answered = pair.fedify.control("/control/answer", {"join": join_id, "accept": True})
    assert answered["ok"], answered
    eventually(lambda: _our_state(pair, token, event_id) == "accepted",
               "Fedify's Accept makes our participation accepted", pair)  # fmt: skip
    assert [row[:2] for row in _handled(pair, answered["id"])] == [(fedi, "Accept")]

    left = _api(pair, token, "DELETE", "/api/smart/v1/participations", params={"event": event_id})
    assert left.status_code == 204, left.text
    leave = eventually(
        lambda: [seen for seen in pair.fedify.state()["leaves"] if seen["object"] == event_id],
        "Fedify verifies our Leave",
        pair,
    )
    assert [seen["actor"] for seen in leave] == [pair.member_uri]
    assert _our_state(pair, token, event_id) is None
    assert pair.fedify.state()["errors"] == []


def test_fedify_organizer_rejects_our_members_join(events: tuple[Pair, str]) -> None:
    pair, token = events
    fedi = pair.fedify.actor_uri()
    event_id = _fedify_event(pair, "Kammarmusik för få")
    asked = _api(pair, token, "POST", "/api/smart/v1/participations", json={"event": event_id})
    assert asked.status_code == 201, asked.text
    join_id, join = eventually(lambda: _joined(pair, event_id), "Fedify verifies our Join", pair)
    assert f"{MZ}participationMessage" not in join["terms"]  # none given, none sent

    answered = pair.fedify.control("/control/answer", {
        "join": join_id, "accept": False, "content": "Alla platser är tagna.",
    })  # fmt: skip
    assert answered["ok"], answered
    eventually(lambda: _our_state(pair, token, event_id) == "rejected",
               "Fedify's Reject makes our participation rejected", pair)  # fmt: skip
    assert [row[:2] for row in _handled(pair, answered["id"])] == [(fedi, "Reject")]
    assert pair.fedify.state()["errors"] == []
