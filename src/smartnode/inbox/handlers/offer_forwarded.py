"""A copy of an application that another node's project sends to its coordinators on this
node: Offer{actor: project, object: <the applicant's Offer>}, addressed to them only.

It is the project's statement about its own call, so it is trusted only as far as the project
goes: the project is a remote Group, the call is on the project's origin, and only the local
members it is addressed to are told. They decide with POST /api/smart/v1/remote-decisions, which
signs the decision as themselves; the project then checks that they coordinate it.
"""

from __future__ import annotations

from sqlalchemy import select

from smartnode.content.applications import APPLICATION, PENDING, summary_of
from smartnode.content.applications_to_ap import OfferedAgreement, offered_agreement
from smartnode.content.calls import call_by_uri
from smartnode.content.notes_from_ap import BadNote, note_from_ap
from smartnode.content.notices import notify
from smartnode.content.proposals import terms_of
from smartnode.content.remote import fetch_object, store_note
from smartnode.content.terms import CALL
from smartnode.errors import SmartnodeError
from smartnode.federation.vocab import id_of
from smartnode.inbox.context import InboxContext, Incoming, Outcome, ignored, processed, same_origin
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import Application


async def _remote_call(ctx: InboxContext, uri: str, project: Actor) -> ContentObject | None:
    """The project's call, stored or fetched from its origin."""
    call = await call_by_uri(ctx.session, uri)
    if call is not None:
        return call if call.actor_id == project.id else None
    document = await fetch_object(ctx, uri)
    if document is None:
        return None
    try:
        note = note_from_ap(document, ctx.now)
    except BadNote:
        return None
    if note.uri != uri or note.attributed_to != project.uri or note.terms.kind != CALL:
        return None
    return await store_note(ctx, note, project)


async def _local_addressees(ctx: InboxContext, incoming: Incoming) -> list[Actor]:
    iris = [i for i in (id_of(x) for x in _list(incoming.body.get("to"))) if i]
    local = [i for i in iris if ctx.uris.parse_actor(i) is not None]
    if not local:
        return []
    rows = await ctx.session.scalars(
        select(Actor).where(
            Actor.uri.in_(local), Actor.local.is_(True), Actor.kind == "member",
            Actor.deleted_at.is_(None),
        )
    )  # fmt: skip
    return list(rows.all())


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


async def on_forwarded_offer(ctx: InboxContext, incoming: Incoming) -> Outcome:
    """Store a forwarded application and tell the coordinators it names."""
    inner = incoming.object
    project = await ctx.resolver.actor(incoming.actor_uri)
    if project is None or project.local or project.ap_type != "Group":
        return ignored("a forwarded Offer comes only from a remote project")
    offer_uri, applicant_uri = id_of(inner), id_of(inner.get("actor"))
    try:
        offered = offered_agreement(inner)
    except SmartnodeError as error:
        return ignored(error.message)
    if not offer_uri or not applicant_uri or not same_origin(offered.call_uri, project.uri):
        return ignored("the forwarded Offer is not for one of the project's calls")
    members = await _local_addressees(ctx, incoming)
    if not members:
        return ignored("the forwarded Offer is addressed to none of our members")
    app = await ctx.session.scalar(select(Application).where(Application.uri == offer_uri))
    if app is not None and (app.local or app.project_id != project.id):
        return ignored("the forwarded Offer names an application of another project")
    if app is None:
        stored = await _store(ctx, project, offer_uri, applicant_uri, offered)
        if isinstance(stored, str):
            return ignored(stored)
        app = stored
    call = await ctx.session.get(ContentObject, app.call_id)
    applicant = await ctx.session.get(Actor, app.applicant_id)
    if call is None or applicant is None:
        return ignored("the application's call or applicant is gone")
    for member in members:
        await notify(ctx.session, member.id, APPLICATION, app.uri,
                     summary_of(app, call, applicant), ctx.now)  # fmt: skip
    return processed(f"forwarded application shown to {len(members)} coordinator(s)")


async def _store(
    ctx: InboxContext,
    project: Actor,
    offer_uri: str,
    applicant_uri: str,
    offered: OfferedAgreement,
) -> Application | str:
    call = await _remote_call(ctx, offered.call_uri, project)
    if call is None:
        return "the forwarded Offer's call could not be had from the project"
    applicant = await ctx.resolver.actor(applicant_uri)
    if applicant is None or applicant.deleted_at is not None:
        return "the applicant could not be resolved"
    taken = await ctx.session.scalar(
        select(Application.id).where(
            Application.call_id == call.id, Application.applicant_id == applicant.id
        )
    )
    if taken is not None:
        return "another application of that applicant to that call is stored"
    app = Application(
        uri=offer_uri, call_id=call.id, project_id=project.id, applicant_id=applicant.id,
        local=False, via="offer", state=PENDING, motivation=offered.motivation,
        links=offered.links, agreement_uri=None, terms=terms_of(call.uri, call.extra),
        created_at=ctx.now,
    )  # fmt: skip
    ctx.session.add(app)
    await ctx.session.flush()
    return app
