"""Events: a member (as themselves) or a project (through a coordinator) publishes, edits and
deletes Events. Each change and its Create/Update/Delete activity are written in the caller's
transaction (transactional outbox); services never commit.

The author's input is kept in `extra["source"]` (re-validated and re-rendered on every edit),
the facts the wire and the calendar read in `extra["event"]` (timezone, place, online_url,
join_mode, capacity, summary_map, participants: the accepted count kept by
content/participation.py); remote events store the same `extra["event"]` shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartnode.content.audience import addressing
from smartnode.content.compose import body_html, hashtag_names, plain_text
from smartnode.content.events_inputs import EventInput, EventUpdate
from smartnode.content.events_to_ap import EVENT_CONTEXT, event_summary
from smartnode.content.events_wording import WORDINGS
from smartnode.content.inputs import Visibility
from smartnode.content.lifecycle import local_object, publish_change, retire
from smartnode.content.terms import EVENT
from smartnode.errors import NotFound, ValidationFailed
from smartnode.federation.uris import NodeUris
from smartnode.outbox.publish import new_token
from smartnode.storage.models import Actor, ContentObject
from smartnode.validation_words import validation_message


def facts_of(data: EventInput) -> dict[str, Any]:
    """What the wire and the calendar read of an event, as stored in `extra["event"]`."""
    place = data.place.model_dump() if data.place is not None else None
    return {
        "timezone": data.timezone,
        "place": place,
        "online_url": str(data.online_url) if data.online_url else None,
        "join_mode": data.join_mode.value,
        "capacity": data.capacity,
    }


def _summaries(
    language: str, others: list[str], data: EventInput, facts: dict[str, Any]
) -> dict[str, str]:
    """The summary in the author's language, then in each translation's we can word."""
    langs = [language, *(lang for lang in others if lang.split("-")[0] in WORDINGS)]
    return {
        lang: event_summary(lang, data.starts_at, data.ends_at, facts)
        for lang in dict.fromkeys(langs)
    }


def render(obj: ContentObject, uris: NodeUris, data: EventInput, language: str) -> None:
    """Title, description, translations, hashtags, times, facts and summary, from the input."""
    text = data.content if data.format == "text" else plain_text(data.content)
    names = hashtag_names(text, data.hashtags)
    obj.name = data.name
    obj.content = body_html(uris, data.content, data.format, [], names)
    others = {
        lang: body_html(uris, body, data.format, [], names)
        for lang, body in data.content_map.items()
        if lang != language and body.strip()
    }
    obj.content_map = {language: obj.content, **others}
    obj.language = language
    obj.tags = [{"type": "Hashtag", "href": uris.tag(n), "name": f"#{n}"} for n in names]
    obj.starts_at, obj.ends_at = data.starts_at, data.ends_at
    facts = facts_of(data)
    facts["summary_map"] = _summaries(language, list(others), data, facts)
    previous = obj.extra.get("event") if isinstance(obj.extra, dict) else None
    facts["participants"] = (previous or {}).get("participants", 0)  # kept across edits
    obj.summary = facts["summary_map"][language]
    source = data.model_dump(mode="json", exclude={"language"})
    obj.extra = {"source": {**source, "language": language}, "event": facts}


async def create_event(
    session: AsyncSession,
    uris: NodeUris,
    *,
    author: Actor,
    data: EventInput,
    now: datetime,
) -> ContentObject:
    """Store a new event by `author` and publish its Create."""
    visibility = Visibility(data.visibility)
    audience = addressing(visibility, author.uri, [])
    uri = uris.event(new_token(now))
    obj = ContentObject(
        uri=uri, local=True, actor_id=author.id,
        project_id=author.id if author.kind == "project" else None, ap_type="Event",
        kind=EVENT, url=uri, in_reply_to_uri=None, visibility=visibility.value,
        audience=audience.as_dict(), sensitive=False, attachments=[], extra={},
        published_at=now, updated_at=now,
    )  # fmt: skip
    render(obj, uris, data, data.language or author.language)
    session.add(obj)
    await session.flush()
    await publish_change(session, uris, author, obj, "Create", now, context=EVENT_CONTEXT)
    return obj


def edited_input(source: dict[str, Any], data: EventUpdate) -> EventInput:
    """The whole input after an edit, validated again (ValidationFailed when incoherent)."""
    changes = data.model_dump(mode="json", exclude_unset=True)
    for required in ("name", "content", "format", "starts_at", "timezone", "join_mode"):
        if required in changes and changes[required] is None:
            raise ValidationFailed(f"{required}: may be changed but not removed")
    merged = {**source, **changes}
    if merged.get("content_map") is None:
        merged["content_map"] = {}
    if merged.get("hashtags") is None:
        merged["hashtags"] = []
    try:
        return EventInput.model_validate(merged)
    except ValidationError as error:
        raise ValidationFailed(validation_message(error.errors(), whole="event")) from None


async def edit_event(
    session: AsyncSession,
    uris: NodeUris,
    obj: ContentObject,
    data: EventUpdate,
    now: datetime,
) -> ContentObject:
    """Change a live event and publish its Update; its audience stays."""
    author = await session.get(Actor, obj.actor_id)
    if author is None:
        raise NotFound("the author of this event no longer exists")
    source = dict(obj.extra.get("source") or {})
    merged = edited_input(source, data)
    render(obj, uris, merged, merged.language or source.get("language") or author.language)
    obj.updated_at = now
    await session.flush()
    await publish_change(session, uris, author, obj, "Update", now, context=EVENT_CONTEXT)
    return obj


async def delete_event(
    session: AsyncSession, uris: NodeUris, obj: ContentObject, now: datetime
) -> None:
    """Delete an event: it answers 410 with a Tombstone, and its audience is sent Delete."""
    author = await session.get(Actor, obj.actor_id)
    if author is None:
        raise NotFound("the author of this event no longer exists")
    await retire(session, uris, author, obj, now, context=EVENT_CONTEXT)


async def local_event(session: AsyncSession, uris: NodeUris, token: str) -> ContentObject:
    """One of our events by token; NotFound if none, Gone if deleted."""
    return await local_object(session, uris.event(token), "event", EVENT)


def _ends() -> Any:
    return func.coalesce(ContentObject.ends_at, ContentObject.starts_at)


async def actor_events(
    session: AsyncSession,
    actor: Actor,
    *,
    now: datetime,
    visibilities: list[str],
    past: bool = False,
    after_id: int | None = None,
    limit: int = 20,
) -> list[ContentObject]:
    """An actor's live events: upcoming (not yet ended) soonest first, or past latest first.

    Keyset paging on (starts_at, id): `after_id` is the last event of the previous page.
    """
    query: Select[Any] = select(ContentObject).where(
        ContentObject.actor_id == actor.id,
        ContentObject.local.is_(True),
        ContentObject.kind == EVENT,
        ContentObject.deleted_at.is_(None),
        ContentObject.visibility.in_(visibilities),
        _ends() < now if past else _ends() >= now,
    )
    last = await session.get(ContentObject, after_id) if after_id is not None else None
    if last is not None and last.starts_at is not None:
        start, key = ContentObject.starts_at, ContentObject.id
        if past:
            after = or_(start < last.starts_at, and_(start == last.starts_at, key < last.id))
        else:
            after = or_(start > last.starts_at, and_(start == last.starts_at, key > last.id))
        query = query.where(after)
    if past:
        order = (ContentObject.starts_at.desc(), ContentObject.id.desc())
    else:
        order = (ContentObject.starts_at.asc(), ContentObject.id.asc())
    found = await session.scalars(query.order_by(*order).limit(limit))
    return list(found.all())
