"""A direct reply to one of our open calls that mentions its project is an application, from
whichever side it comes: a remote server's Create{Note} (inbox/handlers/create.py) or a local
member's status from a Mastodon app (api/mastodon/statuses.py). One rule, here.

The reply is kept as the motivation; the project's coordinators are told and the applicant is
acknowledged by a direct message from the project. Services never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.actors.resolve import ActorResolver
from smartnode.content.application_decisions import direct_message
from smartnode.content.applications import PENDING, call_project, forward_to_coordinators
from smartnode.content.audience import recipients
from smartnode.content.calls import call_by_uri
from smartnode.content.proposals import terms_of
from smartnode.errors import SmartnodeError
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import as_list
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import Application


def _mentions(reply: ContentObject) -> list[str]:
    return [t["href"] for t in as_list(reply.tags) if isinstance(t, dict) and t.get("href")]


async def _applied(session: AsyncSession, call: ContentObject, applicant: Actor) -> bool:
    found = await session.scalar(
        select(Application.id).where(
            Application.call_id == call.id, Application.applicant_id == applicant.id
        )
    )
    return found is not None


async def reply_application(
    session: AsyncSession, uris: NodeUris, resolver: ActorResolver, reply: ContentObject,
    author: Actor, now: datetime,
) -> str | None:  # fmt: skip
    """A stored direct reply to one of our calls becomes an application; what was done (None
    when the reply is no application at all)."""
    if not reply.in_reply_to_uri or reply.visibility != "direct":
        return None
    call = await call_by_uri(session, reply.in_reply_to_uri)
    if call is None or not call.local:
        return None
    try:
        project = await call_project(session, call, now)
    except SmartnodeError as error:
        return f"direct reply to a call, not an application: {error.message}"
    if project.uri not in (*recipients(reply.audience), *_mentions(reply)):
        return None
    if await _applied(session, call, author) or await session.scalar(
        select(Application.id).where(Application.uri == reply.uri)
    ):
        return "direct reply to a call; the author has already applied"
    app = Application(
        uri=reply.uri, call_id=call.id, project_id=project.id, applicant_id=author.id,
        local=True, via="reply", state=PENDING, motivation=reply.content, links=[],
        agreement_uri=None, terms=terms_of(call.uri, call.extra), created_at=now,
    )  # fmt: skip
    session.add(app)
    await session.flush()
    await forward_to_coordinators(session, uris, project, app, now)
    await direct_message(session, uris, resolver, project, author, "received", call,
                         reply.uri, now)  # fmt: skip
    return "direct reply stored as an application; acknowledged by a direct message"
