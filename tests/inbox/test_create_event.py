"""Create, Update and Delete of remote Events through the inbox: a Mobilizon-shaped Event is
stored with its times, zone, place, online address, join mode and capacity; hostile facts are
dropped, never fatal; the owner's Update changes them and Delete purges them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from smartnode.federation.vocab import PUBLIC
from smartnode.storage.models import ContentObject, Follow
from tests.conftest import make_member
from tests.content import activity
from tests.inbox import Fediverse, inbox_context, receive

LEA = "https://mobilizon.example/@lea"
MALLORY = "https://evil.example/users/mallory"
EVENT = "https://mobilizon.example/events/5e1d9c2a-7f1b-4c3e-9d1a-2b3c4d5e6f70"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(LEA, preferredUsername="lea", name="Léa")
    fediverse.actor(MALLORY)
    return fediverse


@pytest.fixture
async def anna(db, settings):
    return await make_member(db, settings, "anna")


def mobilizon_event(**fields: Any) -> dict[str, Any]:
    """An Event as Mobilizon's converter (event.ex, address.ex) writes it."""
    return {
        "id": EVENT, "url": EVENT, "type": "Event", "attributedTo": LEA, "actor": LEA,
        "uuid": "5e1d9c2a-7f1b-4c3e-9d1a-2b3c4d5e6f70",
        "name": "Repair café <b>!</b>",
        "content": '<p>Bring your <a href="javascript:x()">toaster</a><script>y()</script></p>',
        "mediaType": "text/html",
        "published": "2026-11-26T09:00:00Z", "updated": "2026-11-26T09:00:00Z",
        "startTime": "2026-12-12T14:00:00+01:00", "endTime": "2026-12-12T17:00:00+01:00",
        "timezone": "Europe/Paris", "joinMode": "restricted", "maximumAttendeeCapacity": 25,
        "remainingAttendeeCapacity": 25, "participantCount": 0, "category": "WORKSHOPS",
        "repliesModerationOption": "allow_all", "commentsEnabled": True, "draft": False,
        "ical:status": "CONFIRMED", "status": "CONFIRMED", "inLanguage": "fr", "isOnline": False,
        "location": {
            "type": "Place", "id": "https://mobilizon.example/address/7", "name": "La Recyclerie",
            "address": {"type": "PostalAddress", "streetAddress": "83 bd Ornano",
                        "postalCode": "75018", "addressLocality": "Paris",
                        "addressRegion": "Île-de-France", "addressCountry": "France"},
            "latitude": 48.8977, "longitude": 2.3447,
        },
        "attachment": [{"type": "Link", "name": "Website", "mediaType": "text/html",
                        "href": "https://visio.example/repair"}],
        "tag": [{"type": "Hashtag", "href": "https://mobilizon.example/tags/repair",
                 "name": "#repair"}],
        "to": [PUBLIC], "cc": [f"{LEA}/followers"],
        **fields,
    }  # fmt: skip


def create(doc: dict[str, Any] | str, actor: str = LEA) -> dict[str, Any]:
    uri = doc if isinstance(doc, str) else doc["id"]
    return activity("Create", actor, doc, f"{uri}/activity")


async def stored(db, uri: str = EVENT) -> ContentObject | None:
    async with db.session() as s:
        return await s.scalar(select(ContentObject).where(ContentObject.uri == uri))


async def follow_lea(db, settings, world, anna) -> None:
    async with inbox_context(db, settings, world) as ctx:
        lea = await ctx.resolver.actor(LEA)
        ctx.session.add(Follow(follower_id=anna.id, followed_id=lea.id, state="accepted",
                               created_at=ctx.now))  # fmt: skip


async def test_a_mobilizon_event_by_someone_followed_is_stored_with_its_facts(
    db, settings, world, anna
) -> None:
    await follow_lea(db, settings, world, anna)
    outcome = await receive(db, settings, world, create(mobilizon_event()))
    assert outcome.status == "processed", outcome.reason
    row = await stored(db)
    assert row is not None and not row.local
    assert (row.kind, row.ap_type, row.visibility) == ("event", "Event", "public")
    assert row.name == "Repair café !"
    assert row.content == '<p>Bring your <a rel="nofollow noopener noreferrer">toaster</a></p>'
    assert row.starts_at == datetime(2026, 12, 12, 13, 0, tzinfo=UTC)
    assert row.ends_at == datetime(2026, 12, 12, 16, 0, tzinfo=UTC)
    assert row.extra == {"event": {
        "timezone": "Europe/Paris",
        "place": {"name": "La Recyclerie", "street_address": "83 bd Ornano",
                  "postal_code": "75018", "locality": "Paris", "region": "Île-de-France",
                  "country": "France", "latitude": 48.8977, "longitude": 2.3447},
        "online_url": "https://visio.example/repair", "join_mode": "restricted", "capacity": 25,
        "participants": 0,
    }}  # fmt: skip
    assert row.tags == [{"type": "Hashtag", "name": "#repair",
                         "href": "https://mobilizon.example/tags/repair"}]  # fmt: skip


async def test_an_event_that_concerns_no_one_here_is_not_stored(db, settings, world, anna) -> None:
    outcome = await receive(db, settings, world, create(mobilizon_event()))
    assert outcome.status == "ignored" and "concerns no one" in outcome.reason
    assert await stored(db) is None


async def test_a_hostile_event_is_kept_with_only_its_valid_facts(db, settings, world, anna) -> None:
    hostile = mobilizon_event(
        cc=[anna.uri], startTime="2026-12-12T14:00:00Z", endTime="2026-12-01T00:00:00Z",
        timezone="../../../etc/passwd", joinMode="<script>", maximumAttendeeCapacity=10**40,
        location=[{"type": "Place", "name": "<img src=x onerror=y()>" + "a" * 5000,
                   "address": ["not", "a", "map"], "latitude": "48", "longitude": 1e308}],
        attachment=[{"type": "Link", "name": "Website", "href": "file:///etc/passwd"}],
    )  # fmt: skip
    outcome = await receive(db, settings, world, create(hostile))
    assert outcome.status == "processed", outcome.reason
    row = await stored(db)
    assert row is not None and row.kind == "event"
    assert row.starts_at == datetime(2026, 12, 12, 14, 0, tzinfo=UTC) and row.ends_at is None
    facts = row.extra["event"]
    assert (facts["timezone"], facts["join_mode"], facts["capacity"]) == (None, None, None)
    assert facts["online_url"] is None
    assert facts["place"] == {"name": "a" * 200}


async def test_an_event_given_by_id_is_fetched_from_its_origin(db, settings, world, anna) -> None:
    world.serve(EVENT, {"@context": "https://www.w3.org/ns/activitystreams",
                        **mobilizon_event(cc=[anna.uri])})  # fmt: skip
    outcome = await receive(db, settings, world, create(EVENT))
    assert outcome.status == "processed", outcome.reason
    row = await stored(db)
    assert row is not None and row.extra["event"]["timezone"] == "Europe/Paris"
    assert EVENT in world.fetched()


async def test_update_by_the_owner_moves_the_event_and_delete_purges_it(
    db, settings, world, anna
) -> None:
    await follow_lea(db, settings, world, anna)
    assert (await receive(db, settings, world, create(mobilizon_event()))).status == "processed"
    moved = mobilizon_event(
        updated="2026-11-26T12:00:00Z", startTime="2026-12-19T10:00:00+01:00",
        endTime="2026-12-19T09:00:00+01:00", location=None, isOnline=True,
        maximumAttendeeCapacity=0, joinMode="free", to=[anna.uri], cc=[],
    )  # fmt: skip
    outcome = await receive(db, settings, world, activity("Update", LEA, moved, f"{EVENT}#update"))
    assert outcome.status == "processed", outcome.reason
    row = await stored(db)
    assert row is not None
    assert row.starts_at == datetime(2026, 12, 19, 9, 0, tzinfo=UTC) and row.ends_at is None
    assert row.extra["event"]["place"] is None and row.extra["event"]["capacity"] is None
    assert row.extra["event"]["join_mode"] == "free"
    assert row.visibility == "public" and row.audience["to"] == [PUBLIC]  # never changed
    hijack = mobilizon_event(updated="2026-11-26T13:00:00Z", name="hijacked")
    refused = await receive(
        db, settings, world, activity("Update", MALLORY, hijack, f"{MALLORY}#update")
    )
    assert refused.status == "ignored" and (await stored(db)).name == "Repair café !"
    deleted = await receive(db, settings, world, activity("Delete", LEA, EVENT, f"{LEA}#delete"))
    assert deleted.status == "processed", deleted.reason
    row = await stored(db)
    assert row is not None and row.deleted_at is not None
    assert (row.content, row.name, row.extra) == ("", None, {})
