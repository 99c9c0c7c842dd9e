"""Editing a status as Mastodon apps do (PUT /api/v1/statuses/:id): the member's own post,
through the posts use case (content/post_cases.edit_post: the change and its Update{Note} in
one transaction, the version before kept for its history). Someone else's status is not found,
as Mastodon answers; a call or an event is edited through its own forms (422 here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.accounts.principal import Principal
from smartnode.content.inputs import AnnouncementUpdate
from smartnode.content.post_cases import edit_post
from smartnode.content.statuses import status_by_id
from smartnode.content.terms import ANNOUNCEMENT, REPLY
from smartnode.content.threads import Item, Reader
from smartnode.errors import NotFound, ValidationFailed
from smartnode.federation.uris import NodeUris
from smartnode.storage.models import Actor
from smartnode.validation_words import validation_message


@dataclass(frozen=True, slots=True)
class StatusEdit:
    """What an app sends to edit a status (None: unchanged)."""

    text: str | None = None
    spoiler_text: str | None = None
    language: str | None = None


async def own_status(session: AsyncSession, member: Actor, status_id: int) -> Item:
    """One of the member's live statuses (NotFound for anyone else's, as Mastodon)."""
    obj, author = await status_by_id(session, Reader(member), status_id)
    if obj.actor_id != member.id or not obj.local:
        raise NotFound("Record not found")
    return obj, author


async def edit_status(
    session: AsyncSession, uris: NodeUris, principal: Principal, member: Actor,
    status_id: int, change: StatusEdit, now: datetime,
) -> Item:  # fmt: skip
    """The member edits their own post: text, content warning, language."""
    obj, _ = await own_status(session, member, status_id)
    token = uris.note_token(obj.uri)
    if obj.kind not in (ANNOUNCEMENT, REPLY) or token is None:
        raise ValidationFailed("Validation failed: calls and events are edited on their pages")
    given: dict[str, Any] = {}
    if change.text is not None:
        given["content"] = change.text
    if change.spoiler_text is not None:
        given["content_warning"] = change.spoiler_text
    if change.language is not None:
        given["language"] = change.language
    try:
        data = AnnouncementUpdate.model_validate(given)
    except ValidationError as exc:
        words = validation_message(exc.errors(), given).replace("content_warning", "spoiler_text")
        raise ValidationFailed(f"Validation failed: {words.replace('content', 'status')}") from None
    view = await edit_post(session, uris, principal, token, data, now)
    return view.obj, view.author
