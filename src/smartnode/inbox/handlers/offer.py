"""Applications to open calls: Offer{Agreement} to a project, the project's answers
(TentativeAccept / Accept{result Agreement} / Reject), and fediverse replies that apply.

Rules: an Offer counts only when its id, its actor and its Agreement's id (if it has one, as
FEP-0837 makes it optional) share one origin, its call is one of our calls and the call's
project is addressed; anything else is ignored in silence. Such an Offer that the project cannot
take (the call is closed, the applicant applied already, its Commitments do not answer the call)
is answered with Reject{Offer, content: <reason>} (FEP-0837: commit or reject) and stores
nothing. A decision on an application to one of our projects counts only from a coordinator of
that project (local coordinators use the API; remote ones sign Accept/Reject/TentativeAccept
{Offer}). An answer to an Offer we sent counts only from the project it went to (as accept.py
does for follows, Pixelfed CVE-2025-30741); an Accept's finalized Agreement is kept when it is
on the project's origin.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from smartnode.actors.acting import coordinates
from smartnode.actors.projects import coordinators
from smartnode.content.agreements_from_ap import agreement_problem, finalized_id
from smartnode.content.application_decisions import (
    BY_TYPE,
    DECISIONS,
    TEAM_ROLES,
    decide,
    reject_offer,
)
from smartnode.content.applications import (
    DECISION,
    OPEN_STATES,
    PENDING,
    WITHDRAWAL,
    WITHDRAWN,
    forward_to_coordinators,
    summary_of,
    withdrawal_summary,
)
from smartnode.content.applications_to_ap import OfferedAgreement, offered_agreement
from smartnode.content.audience import recipients
from smartnode.content.call_terms import call_terms
from smartnode.content.calls import call_by_uri
from smartnode.content.compose import plain_text
from smartnode.content.notices import notify
from smartnode.content.proposals import proposal_of, terms_of
from smartnode.content.reply_applications import reply_application
from smartnode.errors import SmartnodeError
from smartnode.federation.vocab import id_of
from smartnode.inbox.context import InboxContext, Incoming, Outcome, ignored, processed, same_origin
from smartnode.inbox.handlers.offer_forwarded import on_forwarded_offer
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import Application


def addressees(body: dict[str, Any], inbox: str) -> set[str]:
    """Every IRI an activity is addressed to, and the owner of a personal inbox."""
    found = set(recipients({"to": body.get("to"), "cc": body.get("cc")}))
    if inbox.endswith("/inbox"):
        found.add(inbox.removesuffix("/inbox"))
    return found


async def _our_call(ctx: InboxContext, call_uri: str) -> ContentObject | None:
    call = await call_by_uri(ctx.session, call_uri)
    if call is None or not call.local or ctx.uris.call_token(call_uri) is None:
        return None
    return call


async def on_offer(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """An application to one of our projects' calls (or a copy for one of our coordinators)."""
    if isinstance(incoming.object, dict) and incoming.object.get("type") == "Offer":
        return await on_forwarded_offer(ctx, incoming)
    if not same_origin(incoming.id, incoming.actor_uri):
        return ignored("the Offer id is not on its actor's origin")
    try:
        offered = offered_agreement(incoming.body)
    except SmartnodeError as error:
        return ignored(error.message)
    if offered.agreement_uri and not same_origin(offered.agreement_uri, incoming.actor_uri):
        return ignored("the Agreement id is not on its actor's origin")
    call = await _our_call(ctx, offered.call_uri)
    if call is None or call.deleted_at is not None or call.kind != "call":
        return ignored("the Offer is not for one of our calls")
    project = await ctx.session.get(Actor, call.project_id or call.actor_id)
    if project is None or project.deleted_at is not None or project.kind != "project":
        return ignored("the call's project no longer exists")
    if project.uri not in addressees(incoming.body, incoming.inbox):
        return ignored("the Offer is not addressed to the call's project")
    if await ctx.session.scalar(select(Application.id).where(Application.uri == incoming.id)):
        return ignored("this Offer is stored already")
    applicant = await ctx.resolver.actor(incoming.actor_uri)
    if applicant is None or applicant.local or applicant.deleted_at is not None:
        return ignored("the applicant could not be resolved")
    refusal = await _refusal(ctx, call, applicant, offered)
    if refusal:
        told = await reject_offer(ctx.session, ctx.uris, project, incoming.id, applicant.uri,
                                  refusal, ctx.now)  # fmt: skip
        return ignored(f"{refusal}; " + ("answered with Reject" if told else "Reject sent before"))
    return await _store(ctx, incoming, call, project, applicant, offered)


async def _refusal(
    ctx: InboxContext, call: ContentObject, applicant: Actor, offered: OfferedAgreement
) -> str:
    """Why the project cannot take this Offer ('' when it can)."""
    closed = call_terms(call).closed_because(ctx.now)
    if closed is not None:
        return closed
    if await _applied(ctx, call, applicant):
        return "the applicant has already applied to this call"
    return agreement_problem(offered.agreement, proposal_of(call.uri, call.extra))


async def _store(
    ctx: InboxContext, incoming: Incoming, call: ContentObject, project: Actor,
    applicant: Actor, offered: OfferedAgreement,
) -> Outcome:  # fmt: skip
    app = Application(
        uri=incoming.id, call_id=call.id, project_id=project.id, applicant_id=applicant.id,
        local=True, via="offer", state=PENDING, motivation=offered.motivation,
        links=offered.links, agreement_uri=None, terms=terms_of(call.uri, call.extra),
        created_at=ctx.now,
    )  # fmt: skip
    ctx.session.add(app)
    await ctx.session.flush()
    await forward_to_coordinators(ctx.session, ctx.uris, project, app, ctx.now)
    return processed("application stored; the project's coordinators were told")


async def _applied(ctx: InboxContext, call: ContentObject, applicant: Actor) -> bool:
    found = await ctx.session.scalar(
        select(Application.id).where(
            Application.call_id == call.id, Application.applicant_id == applicant.id
        )
    )
    return found is not None


async def on_tentative_accept(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """A project shortlisted one of our members' applications (or a coordinator decided)."""
    outcome = await answer(ctx, incoming)
    return outcome or ignored("the TentativeAccept answers no application")


async def _answered(ctx: InboxContext, incoming: Incoming) -> Application | None:
    obj = incoming.object
    if isinstance(obj, dict) and obj.get("type") not in (None, "Offer", "Note"):
        return None
    offer_uri = incoming.object_id
    if not offer_uri:
        return None
    return await ctx.session.scalar(select(Application).where(Application.uri == offer_uri))


async def answer(ctx: InboxContext, incoming: Incoming) -> Outcome | None:
    """An Accept, Reject or TentativeAccept of an application; None when it answers none."""
    if incoming.type not in BY_TYPE:
        return None
    app = await _answered(ctx, incoming)
    if app is None:
        return None
    if app.local:
        return await _coordinator_decision(ctx, incoming, app)
    return await _project_answer(ctx, incoming, app)


def _role(body: dict[str, Any]) -> str | None:
    role = body.get("smartRole")
    return role if role in TEAM_ROLES else None


async def _coordinator_decision(ctx: InboxContext, incoming: Incoming, app: Application) -> Outcome:
    """A remote coordinator of our project decides, exactly as a local one would."""
    project = await ctx.session.get(Actor, app.project_id)
    actor = await ctx.session.scalar(select(Actor).where(Actor.uri == incoming.actor_uri))
    if project is None or actor is None or actor.local:
        return ignored("the decision's actor is not a coordinator of the project")
    if not await coordinates(ctx.session, actor, project):
        return ignored("the decision's actor is not a coordinator of the project")
    decision = BY_TYPE[incoming.type]
    try:
        await decide(ctx.session, ctx.uris, ctx.resolver, app, decision, _role(incoming.body),
                     ctx.now)  # fmt: skip
    except SmartnodeError as error:
        return ignored(error.message)
    return processed(f"application {DECISIONS[decision][0]} by a remote coordinator")


async def _project_answer(ctx: InboxContext, incoming: Incoming, app: Application) -> Outcome:
    """The project our member applied to answers the Offer we sent."""
    project = await ctx.session.get(Actor, app.project_id)
    if project is None or project.uri != incoming.actor_uri:
        return ignored("the answer is not from the project the Offer went to")
    decision = BY_TYPE[incoming.type]
    state = DECISIONS[decision][0]
    allowed = (PENDING,) if decision == "shortlist" else OPEN_STATES
    if app.state not in allowed:
        return ignored(f"the application is {app.state} already")
    call = await ctx.session.get(ContentObject, app.call_id)
    if call is None:
        return ignored("the call of the application is gone")
    result = incoming.body.get("result") if decision == "accept" else None
    if result is not None:
        agreement_uri = finalized_id(result, proposal_of(call.uri, call.extra), project.uri)
        if agreement_uri is None:
            return ignored("the Accept's result is not the Agreement finalized by the project")
        app.agreement_uri = agreement_uri
    app.state, app.decision_uri, app.decided_at = state, incoming.id, ctx.now
    if decision == "accept":
        app.role = _role(incoming.body) or "member"
    applicant = await ctx.session.get(Actor, app.applicant_id)
    if applicant is not None and applicant.local:
        summary = summary_of(app, call, applicant)
        said = incoming.body.get("content")  # the coordinator's message, whatever the decision
        if isinstance(said, str) and plain_text(said[:2000]):
            summary["reason" if decision == "reject" else "message"] = plain_text(said[:2000])[:500]
        await notify(ctx.session, applicant.id, DECISION, app.uri, summary, ctx.now)
    await ctx.session.flush()
    return processed(f"our application was {state} by the project")


async def withdrawn(ctx: InboxContext, incoming: Incoming) -> Outcome | None:
    """Undo{Offer}: the applicant withdraws; None when the Undo names no application of ours."""
    obj = incoming.object
    if isinstance(obj, dict) and obj.get("type") != "Offer":
        return None
    uri = id_of(obj)
    app = await ctx.session.scalar(
        select(Application).where(Application.uri == uri, Application.local.is_(True))
    ) if uri else None  # fmt: skip
    if app is None:
        return None
    applicant = await ctx.session.get(Actor, app.applicant_id)
    if applicant is None or applicant.uri != incoming.actor_uri:
        return ignored("the Undo takes back someone else's application")
    if app.state not in OPEN_STATES:
        return ignored(f"the application is {app.state} already")
    app.state, app.decided_at = WITHDRAWN, ctx.now
    project = await ctx.session.get(Actor, app.project_id)
    for coordinator in await coordinators(ctx.session, project) if project else []:
        if coordinator.local:
            await notify(ctx.session, coordinator.id, WITHDRAWAL, app.uri,
                         await withdrawal_summary(ctx.session, app, applicant),
                         ctx.now)  # fmt: skip
    await ctx.session.flush()
    return processed("application withdrawn by its applicant")


async def reply_to_call(ctx: InboxContext, reply: ContentObject, author: Actor) -> str | None:
    """A stored direct reply to one of our calls becomes an application; what was done."""
    return await reply_application(ctx.session, ctx.uris, ctx.resolver, reply, author, ctx.now)
