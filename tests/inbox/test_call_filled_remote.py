"""Filling across nodes: a remote coordinator's Accept that takes the last place of our call
fills it as a local one would; and when a peer's project accepts our member and fills its
call, its Update takes the call off our board while our member's application shows accepted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from smartnode.actors.projects import Role
from smartnode.actors.records import node_uris
from smartnode.content.applications import apply_to_call
from smartnode.storage.models import ContentObject
from tests.conftest import make_member, make_project
from tests.content import activity, node_client
from tests.inbox import NOW, Fediverse, receive
from tests.inbox.applications import (
    applications,
    join_team,
    make_call,
    offer,
    remote_actor,
    remote_call,
    sent,
)

LEA = "https://be.smart.example/members/lea"
MARC = "https://fr.smart.example/members/marc"
BAND = "https://fr.smart.example/projects/band"
BAND_CALL = "https://fr.smart.example/calls/c1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
def world() -> Fediverse:
    fediverse = Fediverse()
    fediverse.actor(LEA)
    fediverse.actor(MARC)
    fediverse.actor(BAND, type="Group")
    return fediverse


@pytest.fixture
async def anna(db, settings):
    return await make_member(db, settings, "anna")


@pytest.fixture
async def jazz(db, settings, anna):
    return await make_project(db, settings, "Jazz", "anna")


@pytest.fixture
async def api(settings, world) -> AsyncIterator[httpx.AsyncClient]:
    async with node_client(settings, world) as client:
        yield client


async def state_of(db, uri: str) -> str | None:
    async with db.session() as s:
        return await s.scalar(select(ContentObject.state).where(ContentObject.uri == uri))


async def test_a_remote_coordinators_accept_of_the_last_place_fills_our_call(
    db, settings, world, jazz
) -> None:
    marc = await remote_actor(db, MARC)
    await join_team(db, jazz, marc, Role.COORDINATOR)
    call = await make_call(db, settings, jazz, terms={"positions": 1})
    body = offer(LEA, call.uri, [jazz.uri])
    assert (await receive(db, settings, world, body)).status == "processed"

    outcome = await receive(db, settings, world, activity("Accept", MARC, body["id"]))

    assert outcome.status == "processed", outcome.reason
    assert await state_of(db, call.uri) == "filled"
    [update] = await sent(db, "Update")
    assert update.actor_id == jazz.id and update.document["object"]["state"] == "filled"
    [remove] = await sent(db, "Remove")
    assert remove.document["target"] == f"{jazz.uri}/featured"


def band_call(**fields: Any) -> dict[str, Any]:
    """The peer's call as its smartnode publishes it."""
    return {
        "id": BAND_CALL, "type": "Note", "attributedTo": BAND, "name": "Light designer",
        "content": "<p><strong>Light designer</strong></p>", "published": "2026-11-26T10:00:00Z",
        "to": [PUBLIC], "cc": [f"{BAND}/followers"], "purpose": "request", "unitBased": False,
        "publishes": {"id": f"{BAND_CALL}#primary", "type": "Intent", "action": "deliverService",
                      "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"}},
        "location": {"type": "Place", "name": "Lyon, FR",
                     "address": {"type": "PostalAddress", "addressCountry": "FR"}},
        "positions": 1, "state": "open", **fields,
    }  # fmt: skip


async def test_a_peers_project_fills_its_call_and_our_board_and_application_follow(
    api, db, settings, world, anna
) -> None:
    band = await remote_actor(db, BAND, "Group")
    await remote_call(db, band, BAND_CALL)
    async with db.session() as s, s.begin():
        call = await s.scalar(select(ContentObject).where(ContentObject.uri == BAND_CALL))
        assert call is not None
        call.published_at = call.updated_at = NOW - timedelta(days=1)  # as it arrived
        app = await apply_to_call(s, node_uris(settings), anna, call, "<p>hi</p>", [],
                                  datetime.now(UTC))  # fmt: skip
    assert [i["uri"] for i in (await api.get("/api/smart/v1/board")).json()["items"]] == [BAND_CALL]

    accepted = await receive(db, settings, world, activity("Accept", BAND, app.uri))
    assert accepted.status == "processed", accepted.reason
    filled = activity("Update", BAND, band_call(state="filled", updated="2026-11-26T11:00:00Z"),
                      f"{BAND}#update-filled")  # fmt: skip
    outcome = await receive(db, settings, world, filled)

    assert outcome.status == "processed", outcome.reason
    assert await state_of(db, BAND_CALL) == "filled"
    assert (await api.get("/api/smart/v1/board")).json()["items"] == []
    [stored] = await applications(db)
    assert stored.state == "accepted"
