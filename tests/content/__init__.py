"""Helpers for content tests: the node with faked remotes, member tokens, remote followers,
fan-out, and reading rows back."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select

from smartnode.accounts.tokens import create_token
from smartnode.actors.records import node_uris
from smartnode.actors.resolve import FetchingResolver
from smartnode.app import create_app
from smartnode.config import Settings
from smartnode.content.announcements import create_announcement
from smartnode.content.inputs import AnnouncementInput
from smartnode.outbox.fanout import expand
from smartnode.storage.db import Database
from smartnode.storage.models import Activity, Actor, ContentObject, Delivery, Follow
from tests.inbox import Fediverse


async def member_headers(db: Database, member: Actor, label: str = "phone") -> dict[str, str]:
    """Arrange: a committed member token for `member`, as an Authorization header."""
    async with db.session() as s, s.begin():
        token = await create_token(s, label=label, now=datetime.now(UTC), actor_id=member.id)
    return {"Authorization": f"Bearer {token}"}


def remote_person(uri: str, *, shared_inbox: str | None = None) -> Actor:
    """A remote actor row as the resolver would have stored it."""
    host = uri.split("/")[2]
    now = datetime.now(UTC)
    return Actor(
        uri=uri, local=False, kind="remote", ap_type="Person", username=uri.rsplit("/", 1)[-1],
        domain=host, name="", summary="", summary_map={}, language="en",
        inbox_uri=f"{uri}/inbox", shared_inbox_uri=shared_inbox, followers_uri=f"{uri}/followers",
        public_key_pem="", key_id=f"{uri}#main-key", fetched_at=now, created_at=now,
        updated_at=now,
    )  # fmt: skip


async def add_follower(db: Database, followed: Actor, uri: str, **fields: Any) -> Actor:
    """Arrange: a remote actor (stored) who follows `followed` (accepted)."""
    async with db.session() as s, s.begin():
        actor = await s.scalar(select(Actor).where(Actor.uri == uri))
        if actor is None:
            actor = remote_person(uri, **fields)
            s.add(actor)
            await s.flush()
        s.add(Follow(follower_id=actor.id, followed_id=followed.id, state="accepted",
                     created_at=datetime.now(UTC)))  # fmt: skip
    return actor


async def objects(db: Database) -> list[ContentObject]:
    async with db.session() as s:
        return list((await s.scalars(select(ContentObject).order_by(ContentObject.id))).all())


async def activities(db: Database, kind: str | None = None) -> list[Activity]:
    async with db.session() as s:
        query = select(Activity).order_by(Activity.id)
        if kind is not None:
            query = query.where(Activity.activity_type == kind)
        return list((await s.scalars(query)).all())


@asynccontextmanager
async def node_client(settings: Settings, world: Fediverse) -> AsyncIterator[httpx.AsyncClient]:
    """The node's app (remote servers faked by `world`) and a client on its base URL."""
    app = create_app(settings, outbound_transport=httpx.MockTransport(world.handle))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=settings.base_url) as c,
    ):
        c.app = app  # type: ignore[attr-defined]  # tests reach app.state through the client
        yield c


async def fan_out(db: Database, settings: Settings, activity: Activity) -> list[str]:
    """Expand an activity's fan-out as the worker would; the inboxes it reaches, sorted."""
    async with db.session() as s, s.begin():
        await expand(s, node_uris(settings), activity.id, datetime.now(UTC))
    async with db.session() as s:
        rows = await s.scalars(
            select(Delivery.inbox_uri).where(Delivery.activity_id == activity.id)
        )
        return sorted(rows.all())


async def make_post(
    db: Database, settings: Settings, author: Actor, **fields: Any
) -> ContentObject:
    """Arrange: a committed post by a local member, made through the real service."""
    data = AnnouncementInput.model_validate({"content": "Hej", **fields})
    uris = node_uris(settings)
    async with Fediverse().fetcher(settings) as fetcher, db.session() as s, s.begin():
        resolver = FetchingResolver(s, uris, fetcher, now=datetime.now(UTC))
        return await create_announcement(
            s, uris, author=author, member=author, data=data, resolver=resolver,
            now=datetime.now(UTC),
        )  # fmt: skip


_SERIAL = itertools.count(1)


def remote_note(note_id: str, actor: str, **fields: Any) -> dict[str, Any]:
    """A Note as Mastodon sends it (public unless `to`/`cc` say otherwise)."""
    return {
        "id": note_id,
        "type": "Note",
        "attributedTo": actor,
        "content": "<p>Hello</p>",
        "published": "2026-11-26T11:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [f"{actor}/followers"],
        **fields,
    }


def activity(kind: str, actor: str, obj: Any, activity_id: str | None = None) -> dict[str, Any]:
    """An activity of `kind` by `actor` about `obj`."""
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": activity_id or f"{actor}#{kind.lower()}-{next(_SERIAL)}",
        "type": kind,
        "actor": actor,
        "object": obj,
    }
