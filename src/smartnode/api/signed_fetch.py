"""Authorized fetch: with SMARTNODE_AUTHORIZED_FETCH on, our documents need a signed GET.

The node actor stays public (a peer must be able to fetch the key it signs with; Mastodon's
instance actor works the same way). Blocked domains get 403 even when their signature is good.
"""

from __future__ import annotations

import orjson
from fastapi import Request
from fastapi.responses import Response

from smartnode.actors.blocks import BlockList, host_of
from smartnode.errors import SmartnodeError
from smartnode.federation.signatures import SignedRequest, parse_signature, verify_signature
from smartnode.federation.signer import utc_now
from smartnode.inbox.keys import ActorKey
from smartnode.inbox.receive import InboxReceiver


async def verified_signer(request: Request) -> ActorKey:
    """The key that signed this GET (SmartnodeError when unsigned or not verifiable)."""
    receiver: InboxReceiver = request.app.state.inbox
    signed = SignedRequest.from_pairs("GET", receiver.url_of(request), request.headers.items())
    now = utc_now()
    parsed = parse_signature(signed)
    key = await receiver.keys.cached(parsed.key_id) or await receiver.keys.fetch(parsed.key_id, now)
    verify_signature(parsed, signed, key.key, now)
    await receiver.keys.remember(key, now)
    return key


async def signer_uri(request: Request) -> str | None:
    """The actor whose valid signature this GET carries, from a domain not blocked, or None."""
    if "signature" not in request.headers and "signature-input" not in request.headers:
        return None
    try:
        key = await verified_signer(request)
    except SmartnodeError:
        return None
    receiver: InboxReceiver = request.app.state.inbox
    if await receiver.blocks.blocks_any([key.owner_uri]):
        return None
    return key.owner_uri


async def refusal(request: Request) -> Response | None:
    """None when the request may read our documents; otherwise the 401/403 to answer."""
    if not request.app.state.settings.authorized_fetch:
        return None
    try:
        key = await verified_signer(request)
    except SmartnodeError as error:
        return _refused(401, f"a signed GET is required here: {error.message}")
    blocks: BlockList = request.app.state.inbox.blocks
    if await blocks.blocks_any([key.owner_uri]):
        return _refused(403, f"{host_of(key.owner_uri)} is blocked on this node")
    return None


def _refused(status: int, message: str) -> Response:
    body = orjson.dumps({"error": message})
    return Response(body, status, {"Vary": "Accept, Signature"}, media_type="application/json")
