"""`InboxFirst`: deliveries to the shared and the node's inbox are answered before the page,
session and Mastodon layers and the routers; every other request goes on to them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from starlette.types import Receive, Scope, Send

from smartnode.api.inbox import InboxFirst
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.storage.db import Database
from smartnode.storage.models import InboxMessage
from tests.conftest import make_member
from tests.inbox import Fediverse
from tests.inbox.test_receive import ALICE, ALICE_PUBLIC, follow, post

BEHIND = 418  # what the layers behind InboxFirst answer in these tests


class Behind:
    """Stands for the layers behind `InboxFirst`: records what reached it."""

    def __init__(self) -> None:
        self.reached: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.reached.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": BEHIND, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
async def node(settings: Settings, db: Database) -> AsyncIterator[FastAPI]:
    fediverse = Fediverse()
    fediverse.actor(ALICE, pem=ALICE_PUBLIC)
    application = create_app(settings, outbound_transport=httpx.MockTransport(fediverse.handle))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def inbox(node: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=node)
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        yield client


@pytest.fixture
def behind() -> Behind:
    return Behind()


@pytest.fixture
async def first(
    node: FastAPI, settings: Settings, behind: Behind
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `InboxFirst` in front of `behind`, in the node's app (its state)."""
    lane = InboxFirst(behind)

    async def in_the_node(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = node
        await lane(scope, receive, send)

    transport = httpx.ASGITransport(app=in_the_node)
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        yield client


async def test_deliveries_to_the_shared_and_node_inbox_are_stored_without_the_layers_behind(
    first: httpx.AsyncClient, behind: Behind, db: Database, settings: Settings
) -> None:
    anna = await make_member(db, settings, "anna")
    shared = await post(first, "/inbox", follow(anna.uri, n=1))
    node_inbox = await post(first, "/actor/inbox", follow(anna.uri, n=2))
    unsigned = await first.post("/inbox", content=b"{}")
    assert (shared.status_code, node_inbox.status_code) == (202, 202)
    assert unsigned.status_code == 401 and unsigned.json()["code"]  # the receiver's own answer
    assert behind.reached == []
    async with db.session() as session:
        rows = (await session.scalars(select(InboxMessage).order_by(InboxMessage.id))).all()
    assert [(row.activity_uri, row.inbox) for row in rows] == [
        (f"{ALICE}#follows/1", f"{settings.base_url}/inbox"),
        (f"{ALICE}#follows/2", f"{settings.base_url}/actor/inbox"),
    ]


async def test_other_requests_go_on_to_the_layers_behind(
    first: httpx.AsyncClient, behind: Behind, db: Database, settings: Settings
) -> None:
    anna = await make_member(db, settings, "anna")
    answers = [
        await first.get("/inbox"),
        await post(first, "/members/anna/inbox", follow(anna.uri)),  # an actor's own inbox
        await post(first, "/inbox/", follow(anna.uri, n=2)),
        await first.get("/members/anna"),
    ]
    assert [answer.status_code for answer in answers] == [BEHIND] * 4
    assert behind.reached == [("GET", "/inbox"), ("POST", "/members/anna/inbox"),
                              ("POST", "/inbox/"), ("GET", "/members/anna")]  # fmt: skip
    async with db.session() as session:
        assert await session.scalar(select(InboxMessage.id)) is None


async def test_the_node_answers_an_actor_inbox_and_the_shared_inbox_alike(
    inbox: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    """Through the whole app: the lane and the routes answer the same requests the same way."""
    anna = await make_member(db, settings, "anna")
    for path in ("/inbox", "/members/anna/inbox"):
        stored = await post(inbox, path, follow(anna.uri, n=len(path)))
        again = await post(inbox, path, follow(anna.uri, n=len(path)))
        malformed = await post(inbox, path, b"{not json")
        too_large = await inbox.post(path, content=b"x" * (1024 * 1024 + 1))
        assert [stored.status_code, again.status_code] == [202, 202]
        assert malformed.status_code == 400 and malformed.json()["code"]
        assert too_large.status_code == 413 and too_large.json()["code"]
    async with db.session() as session:
        assert len((await session.scalars(select(InboxMessage))).all()) == 2
