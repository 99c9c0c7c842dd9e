"""GET /agreements/{token}: a finalized FEP-0837 Agreement (an accepted application's terms),
as AS2, to its parties only.

The parties are the applicant and the project; the project's coordinators read it on its
behalf. A remote party proves who it is with a signed GET, a member of this node with a member
token. Everyone else, and everyone before the application is accepted, gets a 404: its
existence is never revealed. Never cached.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.api import signed_fetch
from smartnode.api.v1.auth import require_member
from smartnode.content.announcements import coordinates
from smartnode.content.applications import ACCEPTED
from smartnode.content.applications_to_ap import finalized_agreement
from smartnode.content.proposals import proposal_of
from smartnode.errors import SmartnodeError
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import ACTIVITY_JSON
from smartnode.storage.db import Database
from smartnode.storage.models import Actor, ContentObject
from smartnode.storage.models_work import Application

router = APIRouter(include_in_schema=False)
PRIVATE = {"Vary": "Accept, Signature, Authorization", "Cache-Control": "private, no-store"}


def _missing() -> Response:
    body = orjson.dumps({"error": "no such object on this node", "code": "not_found"})
    return Response(body, 404, PRIVATE, "application/json")


async def _reader(request: Request, session: AsyncSession) -> str | None:
    """The actor id of the caller: a member token's member, or a valid signature's actor."""
    if "authorization" in request.headers:
        try:
            return (await require_member(request, session, None)).uri
        except SmartnodeError:
            return None
    return await signed_fetch.signer_uri(request)


async def _is_party(session: AsyncSession, reader: str, app: Application) -> bool:
    applicant = await session.get(Actor, app.applicant_id)
    project = await session.get(Actor, app.project_id)
    if applicant is None or project is None:
        return False
    if reader in (applicant.uri, project.uri):
        return True
    actor = await session.scalar(select(Actor).where(Actor.uri == reader))
    return actor is not None and await coordinates(session, actor, project)


@router.get("/agreements/{token}")
async def agreement(request: Request, token: str) -> Response:
    """The finalized Agreement, to the applicant, the project and its coordinators only."""
    uris: NodeUris = request.app.state.uris
    uri = uris.agreement(token)
    if uris.agreement_token(uri) is None:
        return _missing()
    db: Database = request.app.state.db
    async with db.session() as session:
        reader = await _reader(request, session)
        app = await session.scalar(
            select(Application).where(
                Application.agreement_uri == uri,
                Application.local.is_(True),
                Application.state == ACCEPTED,
            )
        )
        call = await session.get(ContentObject, app.call_id) if app is not None else None
        if reader is None or app is None or call is None:
            return _missing()
        if not await _is_party(session, reader, app):
            return _missing()
        doc = finalized_agreement(uri, proposal_of(call.uri, call.extra), context=True)
    return Response(orjson.dumps(doc), 200, PRIVATE, f"{ACTIVITY_JSON}; charset=utf-8")
