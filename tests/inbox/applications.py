"""Arrange and read back for application tests: calls (ours and remote), Offers as another
smartnode sends them, and the application, notification, activity and delivery rows."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from smartnode.actors.projects import Role, add_to_team
from smartnode.actors.records import node_uris
from smartnode.config import Settings
from smartnode.federation.vocab import PUBLIC
from smartnode.inbox.dispatch import Outcome, dispatch
from smartnode.storage.db import Database
from smartnode.storage.models import Activity, Actor, ContentObject, Delivery, InboxMessage
from smartnode.storage.models_work import Application, Notification
from tests.content import remote_person
from tests.inbox import AS, NOW, inbox_context


async def make_call(
    db: Database,
    settings: Settings,
    project: Actor,
    *,
    state: str = "open",
    language: str = "en",
    title: str = "Sound engineer",
    terms: dict[str, Any] | None = None,
) -> ContentObject:
    """Arrange: one of our projects' calls (a committed row, public); `terms` as stored in
    `extra["call"]` (effort, paid...)."""
    uris = node_uris(settings)
    now = datetime.now(UTC)
    uri = uris.call(secrets.token_hex(8))
    call = ContentObject(
        uri=uri, local=True, actor_id=project.id, project_id=project.id, ap_type="Note",
        kind="call", name=title, content=f"<p>{title}</p>", content_map={language: title},
        language=language, url=uri, visibility="public",
        audience={"to": [PUBLIC], "cc": [f"{project.uri}/followers"]}, sensitive=False,
        attachments=[], tags=[], extra={"call": {"title": title, **(terms or {})}}, state=state,
        published_at=now, updated_at=now,
    )  # fmt: skip
    async with db.session() as s, s.begin():
        s.add(call)
    return call


async def remote_actor(db: Database, uri: str, ap_type: str = "Person") -> Actor:
    """Arrange: a stored remote actor row (with a shared inbox on its host)."""
    host = uri.split("/")[2]
    async with db.session() as s, s.begin():
        actor = await s.scalar(select(Actor).where(Actor.uri == uri))
        if actor is None:
            actor = remote_person(uri, shared_inbox=f"https://{host}/inbox")
            actor.ap_type = ap_type
            s.add(actor)
    return actor


async def remote_call(db: Database, project: Actor, uri: str) -> ContentObject:
    """Arrange: another node's call, as stored when it arrived."""
    now = datetime.now(UTC)
    call = ContentObject(
        uri=uri, local=False, actor_id=project.id, project_id=None, ap_type="Note", kind="call",
        name="Light designer", content="<p>Light designer</p>", content_map={"fr": "x"},
        language="fr", url=uri, visibility="public",
        audience={"to": [PUBLIC], "cc": [f"{project.uri}/followers"]}, sensitive=False,
        attachments=[], tags=[], extra={}, state="open", published_at=now, updated_at=now,
    )  # fmt: skip
    async with db.session() as s, s.begin():
        s.add(call)
    return call


async def join_team(db: Database, project: Actor, member: Actor, role: Role) -> None:
    """Arrange: `member` (of any node) in the project's team."""
    async with db.session() as s, s.begin():
        await add_to_team(s, project, member, role, datetime.now(UTC))


def offer(
    actor: str, call: str, to: list[str], *, offer_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    """An Offer{Agreement} as another FEP-0837 server sends it, for an unpaid call without an
    effort (one unit of work)."""
    host = actor.split("/")[2]
    token = secrets.token_hex(6)
    return {
        "@context": AS,
        "id": offer_id or f"https://{host}/activities/{token}",
        "type": "Offer",
        "actor": actor,
        "object": fields.pop("object", None)
        or {
            "id": f"https://{host}/agreements/{token}",
            "type": "Agreement",
            "content": "<p>I mixed <b>three</b> albums</p><script>x()</script>",
            "stipulates": {
                "type": "Commitment",
                "satisfies": f"{call}#primary",
                "resourceQuantity": {"hasUnit": "one", "hasNumericalValue": "1"},
            },
            "url": [{"type": "Link", "href": "https://portfolio.example/me"}],
        },
        "inReplyTo": call,
        "target": call,
        "to": to,
        **fields,
    }


async def applications(db: Database) -> list[Application]:
    async with db.session() as s:
        return list((await s.scalars(select(Application).order_by(Application.id))).all())


async def notifications(db: Database) -> list[Notification]:
    async with db.session() as s:
        return list((await s.scalars(select(Notification).order_by(Notification.id))).all())


async def deliveries(db: Database) -> list[Delivery]:
    async with db.session() as s:
        return list((await s.scalars(select(Delivery).order_by(Delivery.id))).all())


async def sent(db: Database, kind: str | None = None) -> list[Activity]:
    async with db.session() as s:
        query = select(Activity).order_by(Activity.id)
        if kind:
            query = query.where(Activity.activity_type == kind)
        return list((await s.scalars(query)).all())


async def receive_at(
    db: Database, settings: Settings, fediverse: Any, body: dict[str, Any], inbox: str
) -> Outcome:
    """As `receive`, into another inbox (the same activity delivered to a personal inbox)."""
    async with inbox_context(db, settings, fediverse) as ctx:
        message = InboxMessage(
            activity_uri=str(body["id"]), inbox=inbox, actor_uri=body["actor"],
            activity_type=str(body["type"]), body=body, received_at=NOW, state="pending",
            run_at=NOW, attempts=0,
        )  # fmt: skip
        ctx.session.add(message)
        await ctx.session.flush()
        return await dispatch(ctx, message)
