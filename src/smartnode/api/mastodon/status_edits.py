"""Mastodon's status edits: PUT /api/v1/statuses/:id (the member's own post: text, content
warning, language, through content/edit_cases.py and the posts use case, which sends the
Update{Note}), its history (StatusEdit entities, oldest first, the current version last) and
its source (StatusSource: what the author wrote, as plain text)."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from smartnode.accounts.principal import Principal
from smartnode.actors.acting import READ_STATUSES, WRITE_STATUSES
from smartnode.api.deps import DocumentsDep, SessionDep, UrisDep
from smartnode.api.mastodon.auth import Caller, MastodonRoute, member_of, readable
from smartnode.api.mastodon.entities import CONVERTED, Renderer, iso_ms
from smartnode.api.mastodon.media_entities import status_media
from smartnode.api.mastodon.statuses import status_id
from smartnode.api.oauth_body import Params, body_params
from smartnode.content import edit_cases, edits, statuses
from smartnode.content.compose import plain_text
from smartnode.content.edit_cases import StatusEdit
from smartnode.errors import ValidationFailed
from smartnode.storage.models import ContentObject

router = APIRouter(prefix="/api/v1", include_in_schema=False, route_class=MastodonRoute)
ReadStatuses = Annotated[Principal, Depends(readable(READ_STATUSES))]


def _given(params: Params, name: str) -> str | None:
    value: Any = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"Validation failed: {name} must be text")
    return value


def status_edit(params: Params) -> StatusEdit:
    """What the app asks to change, checked for shape (422 naming what is wrong)."""
    if params.get("media_ids") or params.get("media_attributes"):
        raise ValidationFailed("Validation failed: media_ids: media is not supported here yet")
    if params.get("poll") or any(k.startswith("poll[") for k in params):
        raise ValidationFailed("Validation failed: poll: polls are not supported here")
    text = _given(params, "status")
    if text is not None and not text.strip():
        raise ValidationFailed("Validation failed: Text can't be blank")
    return StatusEdit(
        text=text.strip() if text is not None else None,
        spoiler_text=_given(params, "spoiler_text"),
        language=_given(params, "language") or None,
    )


@router.put("/statuses/{status}")
async def edit_status(
    status: str, request: Request, principal: Caller, session: SessionDep, uris: UrisDep,
    documents: DocumentsDep,
) -> JSONResponse:  # fmt: skip
    change = status_edit(await body_params(request))
    wanted = status_id(status)
    async with session.begin():
        member = await member_of(session, principal, WRITE_STATUSES)
        obj, author = await edit_cases.edit_status(session, uris, principal, member, wanted,
                                                   change, datetime.now(UTC))  # fmt: skip
    documents.clear()
    return JSONResponse(await Renderer(session, uris).status(obj, author, member))


def _spoiler(obj: ContentObject, summary: str | None) -> str:
    if obj.ap_type in CONVERTED or not summary:
        return ""
    return html.unescape(plain_text(summary))


@router.get("/statuses/{status}/history")
async def history(
    status: str, principal: ReadStatuses, session: SessionDep, uris: UrisDep
) -> JSONResponse:
    reader = await statuses.reader_of(session, principal)
    obj, author = await statuses.status_by_id(session, reader, status_id(status))
    account = await Renderer(session, uris).account(author)
    found = []
    for version in await edits.history(session, obj):
        shown = ContentObject(id=obj.id, local=obj.local, attachments=version.attachments,
                              extra=obj.extra)  # fmt: skip
        spoiler = _spoiler(obj, version.summary)
        found.append({
            "content": version.content, "spoiler_text": spoiler,
            "sensitive": version.sensitive or bool(spoiler),
            "created_at": iso_ms(version.created_at), "account": account,
            "poll": None, "media_attachments": status_media(shown), "emojis": [],
        })  # fmt: skip
    return JSONResponse(found)


@router.get("/statuses/{status}/source")
async def source(status: str, principal: Caller, session: SessionDep) -> JSONResponse:
    member = await member_of(session, principal, READ_STATUSES)
    obj, _ = await edit_cases.own_status(session, member, status_id(status))
    written = obj.extra.get("source") or {}
    text = str(written.get("content") or plain_text(obj.content or ""))
    return JSONResponse({"id": str(obj.id), "text": text,
                         "spoiler_text": str(written.get("warning") or "")})  # fmt: skip
