"""Mastodon's statuses: one status, its context (the thread, content/threads.py), posting
(content/status_cases.py: the posts use case; a direct reply to an open call applies to it)
and deleting. Statuses are our posts, replies, open calls and events, ours and remote.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ_STATUSES, WRITE_STATUSES
from smartnode.api.deps import DocumentsDep, SessionDep, SettingsDep, UrisDep, request_resolver
from smartnode.api.mastodon.auth import Caller, MastodonRoute, error, member_of, readable
from smartnode.api.mastodon.entities import Renderer
from smartnode.api.oauth_body import Params, body_params
from smartnode.content import status_cases, statuses
from smartnode.content.status_cases import VISIBILITIES, StatusRequest
from smartnode.content.threads import Reader
from smartnode.errors import NotFound, ValidationFailed
from smartnode.federation.fetch import FetchError
from smartnode.media.attachments import media_ids_of
from smartnode.storage.models import Actor

router = APIRouter(prefix="/api/v1", include_in_schema=False, route_class=MastodonRoute)
ReadStatuses = Annotated[Principal, Depends(readable(READ_STATUSES))]
MAX_KEY = 200


def status_id(value: str) -> int:
    """A status id of the path; 404 for anything that is not one."""
    if not value.isdigit() or len(value) > 18:
        raise NotFound("Record not found")
    return int(value)


@router.get("/statuses/{status}")
async def get_status(
    status: str, principal: ReadStatuses, session: SessionDep, uris: UrisDep
) -> JSONResponse:
    reader = await statuses.reader_of(session, principal)
    obj, author = await statuses.status_by_id(session, reader, status_id(status))
    return JSONResponse(await Renderer(session, uris).status(obj, author, reader.actor))


@router.get("/statuses/{status}/context")
async def status_context(
    status: str, principal: ReadStatuses, session: SessionDep, uris: UrisDep
) -> JSONResponse:
    reader = await statuses.reader_of(session, principal)
    obj, _ = await statuses.status_by_id(session, reader, status_id(status))
    before, after = await statuses.status_thread(session, reader, obj)
    rendered = await Renderer(session, uris).statuses([*before, *after], reader.actor)
    return JSONResponse(
        {"ancestors": rendered[: len(before)], "descendants": rendered[len(before) :]}
    )


@router.get("/statuses/{status}/card")
async def status_card(status: str, principal: ReadStatuses, session: SessionDep) -> JSONResponse:
    """The status's link preview: we make none, so `{}` as Mastodon answers without one."""
    reader = await statuses.reader_of(session, principal)
    await statuses.status_by_id(session, reader, status_id(status))
    return JSONResponse({})


def _text(params: Params, name: str) -> str:
    value: Any = params.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(f"Validation failed: {name} must be text")
    return value


def status_request(params: Params, idempotency_key: str | None) -> StatusRequest:
    """What the app asks to post, checked for shape (422 naming what is wrong)."""
    text = _text(params, "status").strip()
    if params.get("poll") or any(k.startswith("poll[") for k in params):
        raise ValidationFailed("Validation failed: poll: polls are not supported here")
    if params.get("scheduled_at"):
        raise ValidationFailed("Validation failed: scheduled_at: scheduling is not supported")
    media_ids = tuple(media_ids_of(params.get("media_ids")))
    if not text and not media_ids:  # pictures alone are a status, as on Mastodon
        raise ValidationFailed("Validation failed: Text can't be blank")
    visibility = _text(params, "visibility") or "public"
    if visibility not in VISIBILITIES:
        raise ValidationFailed(f"Validation failed: visibility: {visibility!r} is not one of "
                               "public, unlisted, private, direct")  # fmt: skip
    reply_to = _text(params, "in_reply_to_id") or None
    if reply_to is not None and (not reply_to.isdigit() or len(reply_to) > 18):
        raise NotFound("Record not found")
    return StatusRequest(
        text=text, visibility=visibility, spoiler_text=_text(params, "spoiler_text").strip(),
        language=_text(params, "language") or None,
        in_reply_to_id=int(reply_to) if reply_to else None,
        idempotency_key=(idempotency_key or "").strip()[:MAX_KEY] or None,
        media_ids=media_ids,
    )  # fmt: skip


@router.post("/statuses")
async def post_status(
    request: Request, principal: Caller, session: SessionDep, uris: UrisDep,
    documents: DocumentsDep, settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:  # fmt: skip
    wanted = status_request(await body_params(request), idempotency_key)
    try:
        async with session.begin():
            member = await member_of(session, principal, WRITE_STATUSES)
            moment = datetime.now(UTC)
            resolver = request_resolver(request, session, moment)
            obj, author = await status_cases.post_status(
                session, uris, principal, member, wanted, resolver, moment, settings=settings
            )
    except FetchError as exc:
        return error(f"a mentioned account's server failed: {exc.message}", 502)
    documents.clear()
    return JSONResponse(await Renderer(session, uris).status(obj, author, member))


@router.delete("/statuses/{status}")
async def delete_status(
    status: str, principal: Caller, session: SessionDep, uris: UrisDep, documents: DocumentsDep,
    settings: SettingsDep,
) -> JSONResponse:  # fmt: skip
    async with session.begin():
        member: Actor = await member_of(session, principal, WRITE_STATUSES)
        wanted = status_id(status)
        obj, author = await statuses.status_by_id(session, Reader(member), wanted)
        source = str((obj.extra.get("source") or {}).get("content", ""))
        rendered = await Renderer(session, uris).status(obj, author, member)  # as it was
        await status_cases.delete_status(session, uris, principal, member, wanted,
                                         datetime.now(UTC), settings=settings)  # fmt: skip
    documents.clear()
    return JSONResponse({**rendered, "text": source})
