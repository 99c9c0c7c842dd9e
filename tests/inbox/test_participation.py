"""Join and Leave of our events through the inbox (Mobilizon's shapes), decided by join mode
and capacity; answers to our members' Joins of remote events count only from the organizer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from smartnode.actors.records import node_uris
from smartnode.content.events import create_event
from smartnode.content.events_inputs import EventInput
from smartnode.content.events_to_ap import event_to_ap
from smartnode.content.participation import decide, join_remote_event
from smartnode.storage.db import Database
from smartnode.storage.models import Activity, Actor, ContentObject
from smartnode.storage.models_work import EventParticipant, Notification
from tests.conftest import make_member, make_project
from tests.inbox import AS, NOW, Fediverse, receive
from tests.inbox.test_create_event import LEA, create, follow_lea, mobilizon_event

BOB = "https://remote.example/users/bob"
DAVE = "https://remote.example/users/dave"
CAROL = "https://evil.example/users/carol"
MALLORY = "https://evil.example/users/mallory"
REMOTE_EVENT = mobilizon_event()["id"]
LATER = NOW + timedelta(days=20)


def world() -> Fediverse:
    fediverse = Fediverse()
    for uri in (BOB, DAVE, CAROL, MALLORY):
        fediverse.actor(uri)
    fediverse.actor(LEA, preferredUsername="lea", name="Léa")
    return fediverse


def join(actor: str, event: str, n: int = 1, **fields: Any) -> dict[str, Any]:
    return {"@context": AS, "id": f"{actor}#join/{n}", "type": "Join", "actor": actor,
            "object": event, **fields}  # fmt: skip


def leave(actor: str, event: str) -> dict[str, Any]:
    return {"@context": AS, "id": f"{actor}#leave/1", "type": "Leave", "actor": actor,
            "object": event}  # fmt: skip


async def an_event(db: Database, settings, author: Actor, **fields: Any) -> ContentObject:
    data = EventInput.model_validate({
        "name": "Open rehearsal", "content": "Come and listen", "starts_at": LATER.isoformat(),
        "ends_at": (LATER + timedelta(hours=2)).isoformat(), "timezone": "Europe/Stockholm",
        "online_url": "https://meet.example/room", **fields,
    })  # fmt: skip
    async with db.session() as s, s.begin():
        return await create_event(s, node_uris(settings), author=author, data=data, now=NOW)


async def participants(db: Database) -> list[tuple[str, str, str]]:
    async with db.session() as s:
        rows = await s.execute(
            select(Actor.uri, EventParticipant.state, EventParticipant.message)
            .join(Actor, Actor.id == EventParticipant.actor_id)
            .order_by(EventParticipant.id)
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def sent(db: Database, kind: str) -> list[dict[str, Any]]:
    async with db.session() as s:
        rows = await s.scalars(
            select(Activity).where(Activity.activity_type == kind).order_by(Activity.id)
        )
        return [a.document for a in rows.all()]


async def served(db: Database, event: ContentObject, author: Actor) -> dict[str, Any]:
    async with db.session() as s:
        row = await s.get(ContentObject, event.id)
        assert row is not None
        return event_to_ap(row, author.uri)


async def notifications(db: Database) -> list[tuple[int, str, str]]:
    async with db.session() as s:
        rows = (await s.scalars(select(Notification).order_by(Notification.id))).all()
        return [(n.actor_id, n.kind, n.object_uri) for n in rows]


async def test_a_free_event_accepts_until_full_then_rejects_with_a_reason(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    event = await an_event(db, settings, anna, capacity=2)
    fediverse = world()
    first = join(BOB, event.uri, participationMessage="<b>Hi</b><script>x()</script> there")
    assert (await receive(db, settings, fediverse, first)).status == "processed"
    assert await participants(db) == [(BOB, "accepted", "Hi there")]
    [accept] = await sent(db, "Accept")
    assert (accept["actor"], accept["to"]) == (anna.uri, [BOB])
    assert accept["object"] == {"id": first["id"], "type": "Join", "actor": BOB,
                                "object": event.uri}  # fmt: skip
    doc = await served(db, event, anna)
    assert (doc["participantCount"], doc["remainingAttendeeCapacity"]) == (1, 1)

    assert (await receive(db, settings, fediverse, join(DAVE, event.uri))).status == "processed"
    outcome = await receive(db, settings, fediverse, join(CAROL, event.uri))
    assert outcome.status == "processed" and "full" in outcome.reason
    [reject] = await sent(db, "Reject")
    assert reject["object"]["id"] == f"{CAROL}#join/1" and reject["to"] == [CAROL]
    assert reject["content"] == "the event is full"
    assert [p[0] for p in await participants(db)] == [BOB, DAVE]
    doc = await served(db, event, anna)
    assert (doc["participantCount"], doc["remainingAttendeeCapacity"]) == (2, 0)


async def test_a_second_join_and_a_join_off_its_actors_origin_change_nothing(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    event = await an_event(db, settings, anna)
    fediverse = world()
    assert (await receive(db, settings, fediverse, join(BOB, event.uri))).status == "processed"
    again = await receive(db, settings, fediverse, join(BOB, event.uri, 2))
    assert again.status == "ignored" and "already" in again.reason
    forged = {**join(MALLORY, event.uri), "id": "https://remote.example/users/bob#join/9"}
    outcome = await receive(db, settings, fediverse, forged)
    assert outcome.status == "ignored" and "origin" in outcome.reason
    assert await participants(db) == [(BOB, "accepted", "")]
    assert len(await sent(db, "Accept")) == 1


async def test_a_restricted_event_waits_for_the_organizer(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    event = await an_event(db, settings, anna, join_mode="restricted", capacity=5)
    fediverse = world()
    request = join(BOB, event.uri)
    outcome = await receive(db, settings, fediverse, request)
    assert outcome.status == "processed" and "organizer" in outcome.reason
    assert await participants(db) == [(BOB, "pending", "")]
    assert await notifications(db) == [(anna.id, "event_join", request["id"])]
    assert await sent(db, "Accept") == []
    assert (await served(db, event, anna))["participantCount"] == 0

    async with db.session() as s, s.begin():
        row = await s.scalar(select(EventParticipant))
        assert row is not None
        await decide(s, node_uris(settings), row, True, NOW)
    assert await participants(db) == [(BOB, "accepted", "")]
    [accept] = await sent(db, "Accept")
    assert accept["object"]["id"] == request["id"] and accept["to"] == [BOB]
    assert (await served(db, event, anna))["remainingAttendeeCapacity"] == 4


async def test_invitation_only_and_past_events_refuse_joins(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    closed = await an_event(db, settings, anna, join_mode="invite")
    fediverse = world()
    outcome = await receive(db, settings, fediverse, join(BOB, closed.uri))
    assert "invitation" in outcome.reason
    over = await receive(db, settings, fediverse, join(DAVE, closed.uri),
                         now=LATER + timedelta(days=1))  # fmt: skip
    assert "over" in over.reason
    assert [r["content"] for r in await sent(db, "Reject")] == [
        "the event is by invitation only", "the event is over"]  # fmt: skip
    assert await participants(db) == []


async def test_a_followers_only_event_is_not_joined_by_a_stranger(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    event = await an_event(db, settings, anna, visibility="followers")
    outcome = await receive(db, settings, world(), join(BOB, event.uri))
    assert outcome.status == "ignored" and await participants(db) == []
    assert await sent(db, "Reject") == []


async def test_leave_ends_only_the_leavers_participation(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    event = await an_event(db, settings, anna, capacity=3)
    fediverse = world()
    for actor in (BOB, DAVE):
        await receive(db, settings, fediverse, join(actor, event.uri))
    assert (await receive(db, settings, fediverse, leave(BOB, event.uri))).status == "processed"
    assert await participants(db) == [(DAVE, "accepted", "")]
    assert (await served(db, event, anna))["participantCount"] == 1
    stranger = await receive(db, settings, fediverse, leave(CAROL, event.uri))
    assert stranger.status == "ignored" and len(await participants(db)) == 1


async def test_a_project_event_answers_as_the_project_and_tells_its_coordinators(
    db, settings
) -> None:
    anna = await make_member(db, settings, "anna")
    project = await make_project(db, settings, "Opera", "anna", slug="opera")
    event = await an_event(db, settings, project, join_mode="restricted")
    fediverse = world()
    await receive(db, settings, fediverse, join(BOB, event.uri))
    assert [n[:2] for n in await notifications(db)] == [(anna.id, "event_join")]
    async with db.session() as s, s.begin():
        row = await s.scalar(select(EventParticipant))
        assert row is not None
        await decide(s, node_uris(settings), row, False, NOW)
    [reject] = await sent(db, "Reject")
    assert reject["actor"] == project.uri and reject["object"]["actor"] == BOB
    assert await participants(db) == [(BOB, "rejected", "")]


async def test_a_join_of_a_project_still_reaches_the_team_handler(db, settings) -> None:
    await make_member(db, settings, "anna")
    project = await make_project(db, settings, "Opera", "anna", slug="opera")
    outcome = await receive(db, settings, world(), join(BOB, project.uri))
    assert outcome.status == "processed" and "join request" in outcome.reason
    assert await participants(db) == []


async def remote_event_joined(db, settings, fediverse: Fediverse) -> tuple[Actor, str]:
    """Our member anna follows Léa, stores Léa's Mobilizon event and asks to take part."""
    anna = await make_member(db, settings, "anna")
    await follow_lea(db, settings, fediverse, anna)
    assert (await receive(db, settings, fediverse, create(mobilizon_event()))).status == (
        "processed")  # fmt: skip
    async with db.session() as s, s.begin():
        event = await s.scalar(select(ContentObject).where(ContentObject.uri == REMOTE_EVENT))
        assert event is not None
        row = await join_remote_event(s, node_uris(settings), event, anna,
                                      message="I play cello", now=NOW)  # fmt: skip
        return anna, row.uri


async def test_our_members_join_is_answered_only_by_the_organizer(db, settings) -> None:
    fediverse = world()
    anna, join_uri = await remote_event_joined(db, settings, fediverse)
    [sent_join] = await sent(db, "Join")
    assert (sent_join["actor"], sent_join["object"], sent_join["to"]) == (
        anna.uri, REMOTE_EVENT, [LEA])  # fmt: skip
    assert sent_join["participationMessage"] == "I play cello"
    assert await participants(db) == [(anna.uri, "pending", "I play cello")]

    def answer(kind: str, actor: str) -> dict[str, Any]:
        return {"@context": AS, "id": f"{actor}#answer/{kind}", "type": kind, "actor": actor,
                "object": {"id": join_uri, "type": "Join", "actor": anna.uri,
                           "object": REMOTE_EVENT}}  # fmt: skip

    forged = await receive(db, settings, fediverse, answer("Accept", MALLORY))
    assert forged.status == "ignored" and "organizer" in forged.reason
    assert await participants(db) == [(anna.uri, "pending", "I play cello")]
    assert (await receive(db, settings, fediverse, answer("Accept", LEA))).status == "processed"
    assert await participants(db) == [(anna.uri, "accepted", "I play cello")]
    assert await notifications(db) == [(anna.id, "event_participation", join_uri)]
    assert (await receive(db, settings, fediverse, answer("Reject", LEA))).status == "processed"
    assert (await participants(db))[0][1] == "rejected"


async def test_a_join_of_nothing_of_ours_is_ignored(db, settings) -> None:
    await make_member(db, settings, "anna")
    outcome = await receive(db, settings, world(), join(BOB, f"{settings.base_url}/events/ab12"))
    assert outcome.status == "ignored" and await participants(db) == []
    assert await sent(db, "Reject") == []


async def test_a_remote_organizer_on_the_events_origin_counts(db, settings) -> None:
    fediverse = world()
    organizer = "https://mobilizon.example/@team"
    fediverse.actor(organizer)
    anna, join_uri = await remote_event_joined(db, settings, fediverse)
    accept = {"@context": AS, "id": f"{organizer}#accept/1", "type": "Accept",
              "actor": organizer, "object": join_uri}  # fmt: skip
    assert (await receive(db, settings, fediverse, accept)).status == "processed"
    assert await participants(db) == [(anna.uri, "accepted", "I play cello")]


async def test_a_deleted_participant_no_longer_counts(db, settings) -> None:
    anna = await make_member(db, settings, "anna")
    event = await an_event(db, settings, anna, capacity=5)
    fediverse = world()
    for actor in (BOB, DAVE):
        await receive(db, settings, fediverse, join(actor, event.uri))
    gone = {"@context": AS, "id": f"{BOB}#delete", "type": "Delete", "actor": BOB, "object": BOB}
    outcome = await receive(db, settings, fediverse, gone)
    assert outcome.status == "processed" and "participations" in outcome.reason
    assert await participants(db) == [(DAVE, "accepted", "")]
    doc = await served(db, event, anna)
    assert (doc["participantCount"], doc["remainingAttendeeCapacity"]) == (1, 4)
