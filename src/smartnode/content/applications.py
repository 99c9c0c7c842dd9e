"""Applications to open calls, on the applicant's side and on the project's side.

A member applies to a call of any node: to one of ours the application is stored directly; to
another node's, it is also sent as Offer{Agreement} to that project only (FEP-0837: the
Agreement commits to the call's intents, see applications_to_ap). The project's coordinators are
notified; remote coordinators get a copy addressed to them only (see `forward_to_coordinators`).
`agreement_uri` stays empty until the project finalizes the Agreement on acceptance. Nothing
here is ever public. Services never commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.projects import coordinators
from smartnode.content.applications_to_ap import (
    APPLICATION_CONTEXT,
    agreement_document,
    offer_extra,
)
from smartnode.content.call_terms import call_terms
from smartnode.content.notices import notify
from smartnode.content.proposals import proposal_of, terms_of
from smartnode.content.terms import CALL
from smartnode.errors import Conflict, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.outbox.publish import new_token, publish
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import Application

PENDING, SHORTLISTED, ACCEPTED = "pending", "shortlisted", "accepted"
REJECTED, WITHDRAWN = "rejected", "withdrawn"
OPEN_STATES = (PENDING, SHORTLISTED)
#: Notification kinds written here.
APPLICATION, DECISION, WITHDRAWAL = "application", "decision", "withdrawal"


def call_title(call: ContentObject) -> str:
    """A call's title for messages."""
    return call_terms(call).title or "the call"


async def call_project(session: AsyncSession, call: ContentObject, now: datetime) -> Actor:
    """The project that published a live, open call; Conflict when closed, NotFound if none."""
    if call.deleted_at is not None or call.kind != CALL:
        raise NotFound("no such call")
    closed = call_terms(call).closed_because(now)
    if closed is not None:
        raise Conflict(closed)
    project = await session.get(Actor, call.project_id or call.actor_id)
    if project is None or project.deleted_at is not None:
        raise NotFound("the call's project no longer exists")
    if project.kind != "project" and project.ap_type != "Group":
        raise NotFound("the call was not published by a project")
    return project


def summary_of(app: Application, call: ContentObject, applicant: Actor) -> dict[str, Any]:
    """What a notification about an application carries."""
    return {"application_id": app.id, "call": call.uri, "title": call_title(call),
            "applicant": applicant.uri, "state": app.state}  # fmt: skip


def forwarded_offer(app: Application, call: ContentObject, applicant: Actor) -> dict[str, Any]:
    """The application as an Offer document (the copy remote coordinators get)."""
    agreement = agreement_document(
        proposal_of(call.uri, call.extra), applicant.uri, app.motivation, list(app.links)
    )
    return {"id": app.uri, "type": "Offer", "actor": applicant.uri, "object": agreement,
            "inReplyTo": call.uri, "target": call.uri}  # fmt: skip


async def forward_to_coordinators(
    session: AsyncSession, uris: NodeUris, project: Actor, app: Application, now: datetime
) -> None:
    """Notify the local coordinators; send remote ones, and only them, a copy of the Offer.

    Interop: the copy is an Offer by the project whose object is the applicant's Offer, to the
    remote coordinators only (never public, never followers): it cannot be a forwarded
    original, whose signature is the applicant's.
    """
    call = await session.get(ContentObject, app.call_id)
    applicant = await session.get(Actor, app.applicant_id)
    if call is None or applicant is None:
        return
    remote: list[str] = []
    for coordinator in await coordinators(session, project):
        if coordinator.local:
            await notify(session, coordinator.id, APPLICATION, app.uri,
                         summary_of(app, call, applicant), now)  # fmt: skip
        else:
            remote.append(coordinator.uri)
    if remote:
        await publish(
            session, uris, project, "Offer", obj=forwarded_offer(app, call, applicant), to=remote,
            now=now, extra={"@context": APPLICATION_CONTEXT, "target": call.uri},
        )  # fmt: skip


async def _unique(session: AsyncSession, call: ContentObject, applicant: Actor) -> None:
    found = await session.scalar(
        select(Application.id).where(
            Application.call_id == call.id, Application.applicant_id == applicant.id
        )
    )
    if found is not None:
        raise Conflict("you have already applied to this call")


async def apply_to_call(
    session: AsyncSession,
    uris: NodeUris,
    member: Actor,
    call: ContentObject,
    motivation: str,
    links: list[str],
    now: datetime,
) -> Application:
    """`member` applies to a call (ours or another node's); motivation is sanitised HTML."""
    project = await call_project(session, call, now)
    await _unique(session, call, member)
    app = Application(
        uri=uris.activity(new_token(now)), call_id=call.id, project_id=project.id,
        applicant_id=member.id, local=call.local, via="offer", state=PENDING,
        motivation=motivation, links=links, agreement_uri=None,
        terms=terms_of(call.uri, call.extra), created_at=now,
    )  # fmt: skip
    if not call.local:
        proposal = proposal_of(call.uri, call.extra)
        agreement = agreement_document(proposal, member.uri, motivation, links)
        offer = await publish(session, uris, member, "Offer", obj=agreement, to=[project.uri],
                              now=now, extra=offer_extra(call.uri))  # fmt: skip
        app.uri = offer.uri
    session.add(app)
    await session.flush()
    if call.local:
        await forward_to_coordinators(session, uris, project, app, now)
    return app


async def withdrawal_summary(
    session: AsyncSession, app: Application, applicant: Actor
) -> dict[str, Any]:
    """What a notification of a withdrawn application carries (its call, while there is one)."""
    call = await session.get(ContentObject, app.call_id)
    return summary_of(app, call, applicant) if call is not None else {"state": WITHDRAWN}


async def withdraw(
    session: AsyncSession, uris: NodeUris, member: Actor, app: Application, now: datetime
) -> Application:
    """The applicant takes back a pending or shortlisted application (Undo{Offer} if remote)."""
    if app.applicant_id != member.id:
        raise NotFound("no such application")
    if app.state not in OPEN_STATES:
        raise Conflict(f"the application is {app.state}: it can no longer be withdrawn")
    app.state, app.decided_at = WITHDRAWN, now
    project = await session.get(Actor, app.project_id)
    if project is None:
        raise NotFound("the project no longer exists")
    if not app.local:
        offer = {"id": app.uri, "type": "Offer", "actor": member.uri}
        await publish(session, uris, member, "Undo", obj=offer, to=[project.uri], now=now)
    else:
        for coordinator in await coordinators(session, project):
            if coordinator.local:
                await notify(session, coordinator.id, WITHDRAWAL, app.uri,
                             await withdrawal_summary(session, app, member), now)  # fmt: skip
    await session.flush()
    return app


async def application_by_id(session: AsyncSession, app_id: int) -> Application:
    """An application by its row id; NotFound otherwise."""
    app = await session.get(Application, app_id)
    if app is None:
        raise NotFound("no such application")
    return app
