"""Decisions on applications: by the project (through a local or remote coordinator), and what
the applicant's node does with the project's answer. Services never commit.

On the project's node a decision goes to the applicant ONLY: TentativeAccept{Offer},
Accept{Offer, result: <the finalized Agreement>} or Reject{Offer}, by the project; an applicant
who applied by a direct reply gets a direct Note instead, with the coordinator's message.
Acceptance finalizes the Agreement (FEP-0837): its id is minted here (`agreement_uri`) and
served to its parties at that id; it also puts the applicant in the team, and the acceptance
that takes a call's last place fills the call (content/calls.fill_when_taken).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.handles import handle_for, remote_domain
from smartnode.actors.projects import Role
from smartnode.actors.resolve import ActorResolver
from smartnode.content.announcements import create_announcement
from smartnode.content.applications import (
    ACCEPTED,
    APPLICATION,
    DECISION,
    OPEN_STATES,
    PENDING,
    REJECTED,
    SHORTLISTED,
    call_title,
    summary_of,
)
from smartnode.content.applications_to_ap import (
    APPLICATION_CONTEXT,
    finalized_agreement,
    reply_message,
)
from smartnode.content.calls import fill_when_taken
from smartnode.content.compose import plain_text
from smartnode.content.inputs import AnnouncementInput
from smartnode.content.notices import notify
from smartnode.content.proposals import agreed_proposal
from smartnode.content.social_notices import notify_post
from smartnode.content.teams import add_member
from smartnode.errors import Conflict, NotFound, ValidationFailed
from smartnode.federation.uris import NodeUris
from smartnode.outbox.publish import new_token, publish
from smartnode.storage.models import Activity, Actor, ContentObject
from smartnode.storage.models_work import Application, Notification

#: decision → (new state, activity type).
DECISIONS = {
    "shortlist": (SHORTLISTED, "TentativeAccept"),
    "accept": (ACCEPTED, "Accept"),
    "reject": (REJECTED, "Reject"),
}
#: activity type → decision.
BY_TYPE = {activity: decision for decision, (_, activity) in DECISIONS.items()}
TEAM_ROLES = (Role.MEMBER.value, Role.GUEST.value)


def check_transition(app: Application, decision: str) -> str:
    """The state a decision leads to; Conflict when the application is past it."""
    state = DECISIONS[decision][0]
    allowed = (PENDING,) if decision == "shortlist" else OPEN_STATES
    if app.state not in allowed:
        raise Conflict(f"the application is {app.state}: it cannot be {state} now")
    return state


def handle_of(actor: Actor) -> str:
    """@user@domain of a remote actor."""
    return handle_for(actor.username, remote_domain(actor.uri, actor.domain))


async def reply_language(session: AsyncSession, reply_uri: str) -> str | None:
    """The language of a stored reply (its `contentMap`'s first key, as Mastodon reads it)."""
    query = select(ContentObject.language).where(ContentObject.uri == reply_uri)
    return await session.scalar(query) or None


async def direct_message(
    session: AsyncSession,
    uris: NodeUris,
    resolver: ActorResolver,
    project: Actor,
    to: Actor,
    kind: str,
    call: ContentObject,
    in_reply_to: str,
    now: datetime,
    message: str | None = None,
) -> ContentObject:
    """A direct Note from the project to one person (Mention + `to`, nothing public), in the
    language of the reply it answers (the applicant's), else English; never the node's. The
    coordinator's `message` (HTML) follows as a paragraph of its own, in their words."""
    applicant_language = await reply_language(session, in_reply_to)
    language, text = reply_message(kind, applicant_language, call_title(call))
    said = plain_text(message) if message else ""
    data = AnnouncementInput.model_validate(
        {
            "content": f"{handle_of(to)} {text}" + (f"\n\n{said}" if said else ""),
            "language": language,
            "visibility": "direct",
            "mentions": [to.uri],
            "in_reply_to": in_reply_to,
        }
    )
    note = await create_announcement(
        session, uris, author=project, member=project, data=data, resolver=resolver, now=now
    )
    await notify_post(session, note, project, now)  # a member of ours sees it as a mention
    return note


def answer_extra(
    role: str | None, result: dict[str, Any] | None = None, reason: str | None = None
) -> dict[str, Any]:
    """Properties of an answer to an Offer besides actor/object/to: the finalized Agreement
    of an Accept, the reason of a Reject, the team role given."""
    extra: dict[str, Any] = {"@context": APPLICATION_CONTEXT}
    if result is not None:
        extra["result"] = result
    if reason:
        extra["content"] = reason
    if role:
        extra["smartRole"] = role
    return extra


def finalize(
    uris: NodeUris, app: Application, call: ContentObject, now: datetime
) -> dict[str, Any]:
    """Mint the finalized Agreement's id on this node (once) and return the Agreement."""
    if app.agreement_uri is None or uris.agreement_token(app.agreement_uri) is None:
        app.agreement_uri = uris.agreement(new_token(now))
    return finalized_agreement(app.agreement_uri, agreed_proposal(call.uri, app.terms, call.extra))


async def reject_offer(
    session: AsyncSession,
    uris: NodeUris,
    project: Actor,
    offer_uri: str,
    applicant_uri: str,
    reason: str,
    now: datetime,
) -> bool:
    """Reject{Offer, content: reason} to the applicant only, once per Offer; False if sent."""
    sent = await session.scalar(
        select(Activity.id).where(
            Activity.actor_id == project.id, Activity.activity_type == "Reject",
            Activity.object_uri == offer_uri,
        )
    )  # fmt: skip
    if sent is not None:
        return False
    await publish(session, uris, project, "Reject", obj=offer_uri, to=[applicant_uri], now=now,
                  extra=answer_extra(None, reason=reason))  # fmt: skip
    return True


async def _tell_applicant(
    session: AsyncSession,
    uris: NodeUris,
    resolver: ActorResolver,
    app: Application,
    parties: tuple[Actor, Actor, ContentObject],
    decision: str,
    now: datetime,
    message: str | None = None,
) -> None:
    project, applicant, call = parties
    state, activity_type = DECISIONS[decision]
    if applicant.local:
        if decision == "accept":
            finalize(uris, app, call, now)
        summary = summary_of(app, call, applicant) | ({"message": message} if message else {})
        await notify(session, applicant.id, DECISION, app.uri, summary, now)
    elif app.via == "reply":
        if decision != "shortlist":
            note = await direct_message(
                session, uris, resolver, project, applicant, state, call, app.uri, now, message
            )
            app.decision_uri = note.uri
    else:
        result = finalize(uris, app, call, now) if decision == "accept" else None
        sent = await publish(
            session, uris, project, activity_type, obj=app.uri, to=[applicant.uri], now=now,
            extra=answer_extra(app.role if result else None, result, message),
        )  # fmt: skip
        app.decision_uri = sent.uri


async def decide(
    session: AsyncSession,
    uris: NodeUris,
    resolver: ActorResolver,
    app: Application,
    decision: str,
    role: str | None,
    now: datetime,
    message: str | None = None,
) -> Application:
    """A coordinator's decision on an application to one of our projects' calls; `message`
    (HTML, escaped) goes to the applicant with it (the answer's `content`)."""
    if not app.local:
        raise NotFound("no such application to one of this node's projects")
    state = check_transition(app, decision)
    project = await session.get(Actor, app.project_id)
    applicant = await session.get(Actor, app.applicant_id)
    call = await session.get(ContentObject, app.call_id)
    if project is None or applicant is None or call is None:
        raise NotFound("the application's project, applicant or call no longer exists")
    app.state, app.decided_at = state, now
    team_role = Role(role or Role.MEMBER.value)
    if decision == "accept":
        app.role = team_role.value
    await _tell_applicant(session, uris, resolver, app, (project, applicant, call), decision, now,
                          message)  # fmt: skip
    if decision == "accept" and applicant.deleted_at is None:
        await add_member(session, uris, project, applicant, team_role, now)
    if decision == "accept":
        await fill_when_taken(session, uris, call, now)
    await session.flush()
    return app


async def forwarded_to(session: AsyncSession, member: Actor, offer_uri: str) -> Application:
    """An application to another node's project that was forwarded to `member` to decide."""
    app = await session.scalar(
        select(Application)
        .join(Notification, Notification.object_uri == Application.uri)
        .where(
            Application.uri == offer_uri,
            Application.local.is_(False),
            Notification.actor_id == member.id,
            Notification.kind == APPLICATION,
        )
    )
    if app is None:
        raise NotFound("no application with that Offer was forwarded to you")
    return app


async def remote_decision(
    session: AsyncSession,
    uris: NodeUris,
    member: Actor,
    offer_uri: str,
    decision: str,
    role: str | None,
    now: datetime,
) -> str:
    """A coordinator of another node's project decides: the activity, signed as the member,
    goes to the project only; the project applies it. Returns the activity id."""
    if decision not in DECISIONS:
        raise ValidationFailed("decision: accept, reject or shortlist")
    app = await forwarded_to(session, member, offer_uri)
    check_transition(app, decision)
    project = await session.get(Actor, app.project_id)
    if project is None or project.deleted_at is not None:
        raise NotFound("the project no longer exists")
    activity_type = DECISIONS[decision][1]
    sent = await publish(
        session, uris, member, activity_type, obj=app.uri, to=[project.uri], now=now,
        extra=answer_extra(role if decision == "accept" else None),
    )  # fmt: skip
    return sent.uri
