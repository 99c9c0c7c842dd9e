"""Posting and deleting statuses as Mastodon apps do, through the posts, calls and events use
cases. What is Mastodon's and not ours: mentions written in the text (`@user`, `@user@host`;
those no server knows stay plain text, as on Mastodon), the post answered by row id, the
Idempotency-Key (the same key from the same member within a day gives back the status it made
then), and a direct reply to one of our open calls that mentions its project, which applies to
the call exactly as a remote reply does (content/reply_applications.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.accounts.secrets import digest
from smartnode.actors.resolve import ActorResolver
from smartnode.config import Settings
from smartnode.content.call_cases import remove_call
from smartnode.content.event_cases import remove_event
from smartnode.content.inputs import AnnouncementInput, Visibility
from smartnode.content.post_cases import delete_post, publish_post
from smartnode.content.reply_applications import reply_application
from smartnode.content.statuses import status_by_id
from smartnode.content.terms import CALL, EVENT
from smartnode.content.threads import Item, Reader
from smartnode.errors import NotFound, ValidationFailed
from smartnode.federation.uris import NodeUris
from smartnode.media.attachments import (
    attach_media,
    attachable_media,
    attachment_to_ap,
    discard_status_media,
)
from smartnode.storage.models import Actor, ContentObject
from smartnode.validation_words import validation_message

#: How long an Idempotency-Key gives back the status it made (Mastodon keeps it a day too).
IDEMPOTENCY = timedelta(days=1)
#: Statuses of the member read when looking for one made with the same key.
IDEMPOTENCY_SCAN = 200
MAX_MENTIONS = 20
_MENTION = re.compile(
    r"(?<![\w@/])@(?P<user>[A-Za-z0-9_][A-Za-z0-9_.-]{0,63})(?:@(?P<host>[A-Za-z0-9.-]+(?::\d{1,5})?))?"
)
VISIBILITIES = {"public": Visibility.PUBLIC, "unlisted": Visibility.UNLISTED,
                "private": Visibility.FOLLOWERS, "direct": Visibility.DIRECT}  # fmt: skip


@dataclass(frozen=True, slots=True)
class StatusRequest:
    """What an app sends to post a status (already checked for shape at the edge)."""

    text: str
    visibility: str = "public"
    spoiler_text: str = ""
    language: str | None = None
    in_reply_to_id: int | None = None
    idempotency_key: str | None = None
    media_ids: tuple[str, ...] = ()


def written_mentions(text: str, domain: str) -> list[str]:
    """The handles written in `text` (`user@host`; `@user` is ours), in order, once each."""
    found = []
    for match in _MENTION.finditer(text):
        host = (match.group("host") or domain).rstrip(".")
        found.append(f"{match.group('user')}@{host}")
    return list(dict.fromkeys(h.lower() for h in found))[:MAX_MENTIONS]


async def _known(resolver: ActorResolver, handles: list[str]) -> list[str]:
    """The actor ids of the handles some server answers for (the others stay text)."""
    found = []
    for handle in handles:
        actor = await resolver.account(handle)
        if actor is not None and actor.deleted_at is None:
            found.append(actor.uri)
    return found


async def _made_with(
    session: AsyncSession, member: Actor, key: str, now: datetime
) -> ContentObject | None:
    rows = await session.scalars(
        select(ContentObject)
        .where(ContentObject.actor_id == member.id, ContentObject.published_at > now - IDEMPOTENCY)
        .order_by(ContentObject.id.desc())
        .limit(IDEMPOTENCY_SCAN)
    )
    return next((obj for obj in rows.all() if obj.extra.get("idempotency") == key), None)


def _checked_input(given: dict[str, Any], *, pictures_only: bool) -> AnnouncementInput:
    """The post's input (422 in Mastodon's words); a status of pictures only is taken with
    empty text, as Mastodon takes it."""
    try:
        data = AnnouncementInput.model_validate({**given, "content": "-"} if pictures_only
                                                else given)  # fmt: skip
    except ValidationError as exc:
        words = validation_message(exc.errors(), given).replace("content", "status")
        raise ValidationFailed(f"Validation failed: {words}") from None
    return data.model_copy(update={"content": ""}) if pictures_only else data


async def post_status(
    session: AsyncSession, uris: NodeUris, principal: Principal, member: Actor,
    request: StatusRequest, resolver: ActorResolver, now: datetime, *, settings: Settings,
) -> Item:  # fmt: skip
    """The member posts a status (or gets back the one the same Idempotency-Key made), with
    the pictures they uploaded for it (`media_ids`)."""
    key = digest(f"{member.id}:{request.idempotency_key}") if request.idempotency_key else None
    if key is not None:
        made = await _made_with(session, member, key, now)
        if made is not None:
            if made.deleted_at is not None:
                raise NotFound("Record not found")
            return made, member
    parent_uri = None
    if request.in_reply_to_id is not None:
        parent, _ = await status_by_id(session, Reader(member), request.in_reply_to_id)
        parent_uri = parent.uri
    media = await attachable_media(session, member, request.media_ids)
    given = {
        "content": request.text, "format": "text", "language": request.language,
        "visibility": VISIBILITIES[request.visibility],
        "content_warning": request.spoiler_text or None,
        "mentions": await _known(resolver, written_mentions(request.text, uris.domain)),
        "in_reply_to": parent_uri,
    }  # fmt: skip
    data = _checked_input(given, pictures_only=not request.text.strip() and bool(media))
    view = await publish_post(session, uris, principal, member.username, data, resolver, now,
                              media=[attachment_to_ap(settings, m) for m in media])  # fmt: skip
    attach_media(media, view.obj)
    if key is not None:
        view.obj.extra = {**view.obj.extra, "idempotency": key}
    await reply_application(session, uris, resolver, view.obj, member, now)
    await session.flush()
    return view.obj, member


async def delete_status(
    session: AsyncSession, uris: NodeUris, principal: Principal, member: Actor, status_id: int,
    now: datetime, *, settings: Settings,
) -> None:  # fmt: skip
    """Delete one of our statuses: a post, a call or an event, by the use case of its kind
    (which decides who may), and the pictures uploaded for it. Others' statuses are not ours
    to delete: NotFound."""
    obj, _ = await status_by_id(session, Reader(member), status_id)
    if not obj.local:
        raise NotFound("Record not found")
    if obj.kind == CALL:
        await remove_call(session, uris, principal, _token(uris.call_token(obj.uri)), now)
    elif obj.kind == EVENT:
        await remove_event(session, uris, principal, _token(uris.event_token(obj.uri)), now)
    else:
        await delete_post(session, uris, principal, _token(uris.note_token(obj.uri)), now)
    await discard_status_media(session, settings, obj)


def _token(token: str | None) -> str:
    if token is None:
        raise NotFound("Record not found")
    return token
