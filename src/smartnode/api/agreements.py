"""GET /agreements/{token}: a finalized FEP-0837 Agreement (an accepted application's terms),
as AS2, to its parties only.

The parties are the applicant and the project; the project's coordinators read it on its
behalf. A remote party proves who it is with a signed GET, a member of this node with a token
(content/agreement_cases.py decides). Everyone else, and everyone before the application is
accepted, gets a 404: its existence is never revealed. Never cached.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from smartnode.accounts.principal import Principal
from smartnode.api import signed_fetch
from smartnode.api.v1.auth import optional_principal
from smartnode.content.agreement_cases import agreement_for
from smartnode.errors import SmartnodeError
from smartnode.federation.uris import NodeUris
from smartnode.federation.vocab import ACTIVITY_JSON
from smartnode.storage.db import Database

router = APIRouter(include_in_schema=False)
PRIVATE = {"Vary": "Accept, Signature, Authorization", "Cache-Control": "private, no-store"}


def _missing() -> Response:
    body = orjson.dumps({"error": "no such object on this node", "code": "not_found"})
    return Response(body, 404, PRIVATE, "application/json")


@router.get("/agreements/{token}")
async def agreement(request: Request, token: str) -> Response:
    """The finalized Agreement, to the applicant, the project and its coordinators only
    (content/agreement_cases.py decides); a bad token is treated as nobody."""
    uris: NodeUris = request.app.state.uris
    uri = uris.agreement(token)
    if uris.agreement_token(uri) is None:
        return _missing()
    db: Database = request.app.state.db
    async with db.session() as session:
        principal: Principal | None = None
        signer = None
        if "authorization" in request.headers:
            try:
                principal = await optional_principal(request, session, None, None)
            except SmartnodeError:
                return _missing()
        else:
            signer = await signed_fetch.signer_uri(request)
        doc = await agreement_for(session, uri, principal, signer)
    if doc is None:
        return _missing()
    return Response(orjson.dumps(doc), 200, PRIVATE, f"{ACTIVITY_JSON}; charset=utf-8")
