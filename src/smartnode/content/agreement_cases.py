"""A finalized FEP-0837 Agreement, to its parties only: the applicant and the project (whose
coordinators read it on its behalf). A remote party proves who it is with a signed GET; a
member of this node with a token (an app needs `read:applications`). To everyone else, and
before the application is accepted, it does not exist."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ_APPLICATIONS, coordinates, maybe_member
from smartnode.content.applications import ACCEPTED
from smartnode.content.applications_to_ap import finalized_agreement
from smartnode.content.proposals import proposal_of
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import Application


async def _reader(
    session: AsyncSession, principal: Principal | None, signer_uri: str | None
) -> str | None:
    """Who reads: the member a token acts for, else the actor of a valid signature."""
    if principal is not None:
        member = await maybe_member(session, principal, READ_APPLICATIONS)
        return member.uri if member is not None else None
    return signer_uri


async def _is_party(session: AsyncSession, reader: str, app: Application) -> bool:
    applicant = await session.get(Actor, app.applicant_id)
    project = await session.get(Actor, app.project_id)
    if applicant is None or project is None:
        return False
    if reader in (applicant.uri, project.uri):
        return True
    actor = await session.scalar(select(Actor).where(Actor.uri == reader))
    return actor is not None and await coordinates(session, actor, project)


async def agreement_for(
    session: AsyncSession, uri: str, principal: Principal | None, signer_uri: str | None
) -> dict[str, Any] | None:
    """The Agreement at `uri` as AS2, when the reader is one of its parties; else None."""
    reader = await _reader(session, principal, signer_uri)
    app = await session.scalar(
        select(Application).where(
            Application.agreement_uri == uri,
            Application.local.is_(True),
            Application.state == ACCEPTED,
        )
    )
    call = await session.get(ContentObject, app.call_id) if app is not None else None
    if reader is None or app is None or call is None:
        return None
    if not await _is_party(session, reader, app):
        return None
    return finalized_agreement(uri, proposal_of(call.uri, call.extra), context=True)
