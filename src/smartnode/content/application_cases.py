"""Applications as the native API, the CLI and the apps use them: each use case takes the acting
principal and decides who may see and do what. Services never commit. Nothing here is public.

A member applies (`write:applications`) to a call of any node and withdraws their own; they see
their own applications (`read:applications`); a project's coordinators see the applications to
its calls and decide on them. Someone who may not see an application is told it does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import (
    READ_APPLICATIONS,
    WRITE_APPLICATIONS,
    acting_member,
    coordinates,
    maybe_member,
)
from smartnode.actors.projects import get_project
from smartnode.content.application_decisions import decide, remote_decision
from smartnode.content.applications import (
    APPLICATION,
    application_by_id,
    apply_to_call,
    withdraw,
)
from smartnode.content.calls import call_by_uri, local_call
from smartnode.content.notes_from_ap import BadNote, note_from_ap
from smartnode.content.remote import fetch_object, store_note
from smartnode.content.terms import CALL
from smartnode.errors import Forbidden, NotFound
from smartnode.federation.uris import NodeUris
from smartnode.inbox.context import InboxContext
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import Application, Notification


@dataclass(frozen=True, slots=True)
class ApplicationView:
    """An application with its call, project and applicant, as the edges render it."""

    app: Application
    call: ContentObject
    project: Actor
    applicant: Actor


async def application_view(session: AsyncSession, app: Application) -> ApplicationView:
    call = await session.get(ContentObject, app.call_id)
    project = await session.get(Actor, app.project_id)
    applicant = await session.get(Actor, app.applicant_id)
    if call is None or project is None or applicant is None:
        raise NotFound("the application's call, project or applicant no longer exists")
    return ApplicationView(app, call, project, applicant)


async def call_to_apply(ctx: InboxContext, uri: str) -> ContentObject:
    """A call we store, or another node's call fetched from its origin and stored."""
    call = await call_by_uri(ctx.session, uri)
    if call is not None or ctx.uris.is_local(uri):
        if call is None:
            raise NotFound("no such call on this node")
        return call
    document = await fetch_object(ctx, uri)
    try:
        note = note_from_ap(document, ctx.now) if document else None
    except BadNote:
        note = None
    if note is None or note.uri != uri or note.terms.kind != CALL:
        raise NotFound("no call could be had at that address")
    author = await ctx.resolver.actor(note.attributed_to)
    if author is None or author.local or author.ap_type != "Group":
        raise NotFound("the call was not published by a project")
    return await store_note(ctx, note, author)


async def apply(
    ctx: InboxContext, principal: Principal, call_uri: str, motivation: str, links: list[str]
) -> ApplicationView:
    """The acting member applies to a call of any node (checked before anything is fetched)."""
    member = await acting_member(ctx.session, principal, WRITE_APPLICATIONS)
    call = await call_to_apply(ctx, call_uri)
    app = await apply_to_call(ctx.session, ctx.uris, member, call, motivation, links, ctx.now)
    return await application_view(ctx.session, app)


async def _page(
    session: AsyncSession, query: Select[Application], limit: int, before_id: int | None
) -> list[ApplicationView]:
    if before_id is not None:
        query = query.where(Application.id < before_id)
    rows = await session.scalars(query.order_by(Application.id.desc()).limit(limit))
    return [await application_view(session, app) for app in rows.all()]


async def my_applications(
    session: AsyncSession, principal: Principal, role: Literal["applicant", "coordinator"],
    *, limit: int, before_id: int | None,
) -> list[ApplicationView]:  # fmt: skip
    """The member's own applications, newest first; as `coordinator`, the applications to
    other nodes' projects that were forwarded to them to decide."""
    member = await acting_member(session, principal, READ_APPLICATIONS)
    query = select(Application)
    if role == "coordinator":
        forwarded = select(Notification.object_uri).where(
            Notification.actor_id == member.id, Notification.kind == APPLICATION
        )
        query = query.where(Application.local.is_(False), Application.uri.in_(forwarded))
    else:
        query = query.where(Application.applicant_id == member.id)
    return await _page(session, query, limit, before_id)


async def project_applications(
    session: AsyncSession, principal: Principal, slug: str, state: str | None,
    *, limit: int, before_id: int | None,
) -> tuple[Actor, list[ApplicationView]]:  # fmt: skip
    """Applications to a project's calls, newest first: to its coordinators only."""
    member = await acting_member(session, principal, READ_APPLICATIONS)
    project, _ = await get_project(session, slug)
    if not await coordinates(session, member, project):
        raise Forbidden(f"{member.username!r} does not coordinate {slug!r}")
    query = select(Application).where(
        Application.project_id == project.id, Application.local.is_(True)
    )
    if state:
        query = query.where(Application.state == state)
    return project, await _page(session, query, limit, before_id)


async def _visible(session: AsyncSession, member: Actor, app: Application) -> bool:
    """The applicant sees their application; the coordinators of our project see it too."""
    if app.applicant_id == member.id:
        return True
    project = await session.get(Actor, app.project_id)
    return app.local and project is not None and await coordinates(session, member, project)


async def read_application(
    session: AsyncSession, principal: Principal, app_id: int
) -> ApplicationView:
    """One application, to its applicant or the project's coordinators."""
    member = await acting_member(session, principal, READ_APPLICATIONS)
    app = await application_by_id(session, app_id)
    if not await _visible(session, member, app):
        raise NotFound("no such application")
    return await application_view(session, app)


async def withdraw_application(
    session: AsyncSession, uris: NodeUris, principal: Principal, app_id: int, now: datetime
) -> ApplicationView:
    """The applicant takes back their pending or shortlisted application (to anyone else,
    even the project's coordinators, it does not exist here)."""
    member = await acting_member(session, principal, WRITE_APPLICATIONS)
    app = await application_by_id(session, app_id)
    await withdraw(session, uris, member, app, now)
    return await application_view(session, app)


async def decide_application(
    ctx: InboxContext, principal: Principal, app_id: int, decision: str, role: str | None,
    message: str | None = None,
) -> ApplicationView:  # fmt: skip
    """A coordinator of our project shortlists, accepts or rejects an application to it."""
    session = ctx.session
    member = await acting_member(session, principal, WRITE_APPLICATIONS)
    app = await application_by_id(session, app_id)
    project = await session.get(Actor, app.project_id)
    if not app.local or project is None or not await coordinates(session, member, project):
        if not await _visible(session, member, app):
            raise NotFound("no such application")
        raise Forbidden("only the project's coordinators decide")
    await decide(session, ctx.uris, ctx.resolver, app, decision, role, ctx.now, message)
    return await application_view(session, app)


async def decide_remotely(
    ctx: InboxContext, principal: Principal, offer_uri: str, decision: str, role: str | None
) -> str:
    """A coordinator of another node's project decides on an application forwarded to them;
    the id of the activity sent to the project."""
    member = await acting_member(ctx.session, principal, WRITE_APPLICATIONS)
    return await remote_decision(ctx.session, ctx.uris, member, offer_uri, decision, role, ctx.now)


async def may_decide(session: AsyncSession, principal: Principal, project: Actor) -> bool:
    """Whether the acting member decides on applications to `project` (shows the queue)."""
    member = await maybe_member(session, principal, READ_APPLICATIONS)
    return member is not None and project.local and await coordinates(session, member, project)


async def call_applications(
    session: AsyncSession, uris: NodeUris, principal: Principal, token: str, *, limit: int,
    before_id: int | None,
) -> tuple[ContentObject, list[ApplicationView]]:  # fmt: skip
    """Applications to one of our calls, newest first: to its project's coordinators only."""
    member = await acting_member(session, principal, READ_APPLICATIONS)
    call = await local_call(session, uris, token)
    project = await session.get(Actor, call.project_id or call.actor_id)
    if project is None or not await coordinates(session, member, project):
        raise Forbidden("only the project's coordinators see the applications to its calls")
    query = select(Application).where(Application.call_id == call.id, Application.local.is_(True))
    return call, await _page(session, query, limit, before_id)
